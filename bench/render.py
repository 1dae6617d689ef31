"""CPU per request kind, in process: what one gunicorn worker spends on each page of the load mix,
without the network, the client or the other workers' noise.

    .venv/bin/python -m bench.render --db-name qqc_load_keep --workdir /tmp/qqc/load [--profile browse]

It reuses the database and search index that `python -m bench.load --keep-db --db-name NAME
--workdir DIR` left (the demo scaled to 10,000 projects), asks for the same pages as the load mix
through Flask's test client with the page cache off, and prints the median and mean CPU time
(time.process_time) per kind over `--requests` requests after `--warmup` untimed ones. With
`--profile KIND`, cProfile's top functions for that kind. Not a test: see bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

KINDS = ("browse", "search", "project", "pledge", "confirm")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db-name", default="qqc_load_keep")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/qqc/load"))
    parser.add_argument("--requests", type=int, default=200, help="timed requests per kind")
    parser.add_argument("--warmup", type=int, default=30, help="untimed requests per kind first")
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument("--profile", choices=KINDS, default=None)
    parser.add_argument("--top", type=int, default=40, help="cProfile rows shown")
    parser.add_argument(
        "--search-sync",
        action="store_true",
        help="index after each commit in the web process (default: off, as in deploy/env.example)",
    )
    parser.add_argument("--json", type=Path, default=None)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from bench.load import prepare
    from bench.pledges import database_url

    env = {
        "MARKETPLACE_DATABASE_URL": database_url(args.admin_url, args.db_name),
        "MARKETPLACE_SECRET_KEY": "bench-secret-key-not-for-production",
        "MARKETPLACE_SEARCH_INDEX_DIR": str(args.workdir / "search_index"),
        "MARKETPLACE_UPLOAD_DIR": str(args.workdir / "uploads"),
        "MARKETPLACE_RATELIMIT_ENABLED": "false",
        "MARKETPLACE_SEARCH_AUTO_REBUILD": "false",
        "MARKETPLACE_PAGE_CACHE_SECONDS": "0",
        "MARKETPLACE_SEARCH_SYNC_ON_COMMIT": "true" if args.search_sync else "false",
    }
    seeded = prepare(env)
    os.environ.update(env)
    from marketplace import create_app

    app = create_app()
    client = app.test_client()
    rng = random.Random(7)
    pending: list[tuple[int, int]] = []

    def one(kind: str, n: int) -> None:
        if kind == "browse":
            response = client.get(rng.choice(seeded["browse"]))
        elif kind == "search":
            response = client.get(rng.choice(seeded["search"]))
        elif kind == "project":
            response = client.get(f"/projects/{rng.choice(seeded['projects'])}")
        elif kind == "pledge":
            amount = 10_000 + n % 100
            response = client.post(
                f"/api/v1/projects/{rng.choice(seeded['targets'])}/pledges",
                json={"amount": amount, "method": "bank_transfer"},
                headers={
                    "Authorization": f"Bearer {seeded['company_token']}",
                    "Idempotency-Key": f"render-{time.time_ns()}-{n}",
                },
            )
            if response.status_code == 201:
                pending.append((response.get_json()["id"], amount))
        else:
            pledge_id, amount = pending.pop()
            response = client.post(
                f"/api/v1/pledges/{pledge_id}/confirm",
                json={"bank_reference": f"RENDER-{time.time_ns()}", "received_amount": amount},
                headers={"Authorization": f"Bearer {seeded['staff_token']}"},
            )
        expected = 201 if kind == "pledge" else 200
        if response.status_code != expected:
            raise SystemExit(f"{kind}: HTTP {response.status_code} {response.get_data(as_text=True)[:300]}")

    results: dict[str, dict[str, float]] = {}
    kinds = [k for k in KINDS if k in args.kinds or (k == "pledge" and "confirm" in args.kinds)]
    for kind in kinds:
        for n in range(args.warmup):
            one(kind, n)
            if kind == "pledge":
                one("confirm", n)
        pending.clear()
        profiler = cProfile.Profile() if kind == args.profile else None
        times = []
        for n in range(args.requests):
            if kind == "confirm" and not pending:
                one("pledge", n)
            began = time.process_time()
            if profiler:
                profiler.enable()
            one(kind, n)
            if profiler:
                profiler.disable()
            times.append((time.process_time() - began) * 1000)
        results[kind] = {
            "median_ms": round(statistics.median(times), 2),
            "mean_ms": round(statistics.fmean(times), 2),
            "p90_ms": round(sorted(times)[int(len(times) * 0.9)], 2),
        }
        print(f"{kind:8} {json.dumps(results[kind])}", flush=True)
        if profiler:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
            stats.print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)
            print(out.getvalue())
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.exit(main())
