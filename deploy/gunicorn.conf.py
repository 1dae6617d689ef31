"""gunicorn settings for 青亲筹: `gunicorn -c deploy/gunicorn.conf.py 'marketplace:create_app()'`.

Every setting can be overridden by an environment variable of the same purpose, so one file serves a
laptop, one district server and each app host of a scaled-out deployment.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("MARKETPLACE_BIND", "127.0.0.1:8000")
# Sync workers: the app is CPU-bound on templates and waits briefly on PostgreSQL. gunicorn's own
# rule of thumb (2 × cores + 1) keeps both cores busy while one worker waits on the database.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# A request that takes longer than this is stuck (the slowest page, a 100k-row export, streams
# in well under it); the master kills the worker and starts a new one.
timeout = int(os.environ.get("MARKETPLACE_WORKER_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak in a library never grows without bound — rarely: a new
# worker spends ~5 s of CPU on imports, jieba's dictionary and cold template and index caches, and
# at 5000 requests that was a restart every half minute under bench/load.py, 15 % of the CPU.
max_requests = 50_000
max_requests_jitter = 5_000
# The request id is the app's own X-Request-Id response header (nginx passes its $request_id in,
# the app makes one up otherwise), so an access-log line, the audit event and the error log of one
# request share it. fwd= is the client as nginx saw it (h is nginx itself).
accesslog = os.environ.get("MARKETPLACE_ACCESS_LOG", "-")
errorlog = os.environ.get("MARKETPLACE_ERROR_LOG", "-")
loglevel = os.environ.get("MARKETPLACE_LOG_LEVEL", "info")
access_log_format = (
    '%(h)s fwd=%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s "%(a)s"'
)
# Behind nginx on the same host; widen to the proxy's address when it runs elsewhere.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# How many proxies (nginx, a load balancer …) stand in front of gunicorn. gunicorn itself leaves
# REMOTE_ADDR at the proxy's address, so without this every visitor would share nginx's address:
# one login rate limit for the whole site and the proxy's address in every audit event. The last
# `proxy_hops` entries of X-Forwarded-For are trusted (nginx appends the real peer); 0 when
# gunicorn faces clients directly.
proxy_hops = int(os.environ.get("MARKETPLACE_PROXY_HOPS", "1"))
proc_name = "qingqinchou"
# gunicorn ≥ 24's control socket (`gunicornc`) defaults to one path per user ($HOME/.gunicorn), which
# two gunicorns of one user would share and which is read-only under the systemd unit's hardening.
# Off unless MARKETPLACE_CONTROL_SOCKET names a path (older gunicorns ignore both settings).
control_socket_disable = not os.environ.get("MARKETPLACE_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["MARKETPLACE_CONTROL_SOCKET"]


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Each worker, once the app is loaded: read the client's address and scheme from the proxy."""
    app = worker.wsgi
    if proxy_hops > 0 and hasattr(app, "wsgi_app"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxy_hops, x_proto=proxy_hops)
    # Load jieba's dictionary and pypinyin now (about 10 s of CPU on this kind of machine), before the
    # worker accepts requests, so no visitor's first page waits for them.
    from marketplace.search.engine import warm_up

    warm_up()
