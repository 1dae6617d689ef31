"""Request-level plumbing shared by every page and endpoint: locale, login loading,
security headers, request ids, template helpers and error rendering."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    jsonify,
    render_template,
    request,
)
from flask_babel import get_locale, get_translations
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sqlalchemy_exc
from werkzeug.exceptions import HTTPException

from marketplace.errors import DomainError
from marketplace.messages import Msg
from marketplace.money import format_fen, progress_percent
from marketplace.taxonomy.data import CATEGORIES, DISTRICTS
from marketplace.timeutil import to_local

log = logging.getLogger(__name__)

LANGUAGE_COOKIE = "lang"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'; frame-ancestors 'none'"
)
# Where a card pledge's form ends up: the pledge form redirects to Stripe's hosted checkout, and
# browsers apply form-action to every redirect that follows a form submission.
STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"


def content_security_policy(config: Mapping[str, Any]) -> str:
    """The policy for this app: card payments widen form-action to Stripe's checkout origin (or, when
    STRIPE_API_BASE points the client elsewhere — the tests' loopback fake — to that origin)."""
    if not config.get("STRIPE_SECRET_KEY"):
        return CONTENT_SECURITY_POLICY
    checkout = STRIPE_CHECKOUT_ORIGIN
    if config.get("STRIPE_API_BASE"):
        parts = urlsplit(config["STRIPE_API_BASE"])
        checkout = f"{parts.scheme}://{parts.netloc}"
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {checkout}")


def select_locale() -> str:
    """Chinese unless the visitor chose English (cookie) or an API client asks for it."""
    config = current_app.config
    chosen = chosen_locale(request.cookies, config["LANGUAGES"])
    if chosen:
        return chosen
    if is_api_request():
        return request.accept_languages.best_match(config["LANGUAGES"]) or config["BABEL_DEFAULT_LOCALE"]
    return config["BABEL_DEFAULT_LOCALE"]


def chosen_locale(cookies: Mapping[str, str], supported: Iterable[str]) -> str | None:
    """The language the visitor picked with the switch, if any. The page cache reads it before
    Flask sees the request (cache.CachedPages)."""
    chosen = cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in supported else None


def request_translations() -> Any:
    """flask_babel.get_translations(), looked up once per request. Flask-Babel resolves the context,
    the locale and its catalogue cache at every call, and a list page makes ~150 of them: that was
    a sixth of its rendering time. The locale of a request never changes once chosen."""
    if not has_request_context():
        return get_translations()
    found = getattr(request, "_qqc_translations", None)
    if found is None:
        found = request._qqc_translations = get_translations()  # type: ignore[attr-defined]
    return found


def gettext(message: str, **variables: Any) -> str:
    """flask_babel.gettext with the request's catalogue (see request_translations)."""
    translated: str = request_translations().ugettext(message)
    return translated % variables if variables else translated


def translate(message: Any) -> str:
    """Render a domain message in the visitor's language (its Msg parameters too, e.g. a status
    label inside a sentence)."""
    if isinstance(message, Msg):
        translated = gettext(message.msgid)
        if not message.params:
            return translated
        return translated % {
            key: translate(value) if isinstance(value, Msg) else value
            for key, value in message.params.items()
        }
    return gettext(message) if isinstance(message, str) and message else str(message or "")


def is_english() -> bool:
    return str(get_locale() or "") == "en"


def localized(item: Any) -> str:
    """A category's or district's name in the visitor's language."""
    english = getattr(item, "name_en", None)
    return english if english and is_english() else item.name


_DISTRICTS_EN = dict(DISTRICTS)


_CATEGORIES_EN = {name: english for _slug, name, english in CATEGORIES}


def reason_text(reason: Any) -> str:
    """A match reason (scoring.Reason or its stored dict) in the visitor's language; the category
    and district names inside it follow the language too."""
    message = getattr(reason, "message", reason)
    if isinstance(message, Msg) and message.params and is_english():
        params = dict(message.params)
        for key, names in (("category", _CATEGORIES_EN), ("district", _DISTRICTS_EN)):
            if key in params:
                params[key] = names.get(params[key], params[key])
        message = Msg(message.msgid, **params)
    return translate(message)


def district_label(name: str | None) -> str:
    """Rows store the district's Chinese name; English visitors read its English one."""
    if not name:
        return ""
    return _DISTRICTS_EN.get(name, name) if is_english() else name


def join_names(items: Any) -> str:
    return (", " if is_english() else "、").join(localized(item) for item in items)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def error_payload(code: str, message: Any, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": translate(message),
            "fields": {name: translate(reason) for name, reason in (fields or {}).items()},
        }
    }


def json_error(status: int, code: str, message: Any, fields: dict[str, Any] | None = None) -> Response:
    response = jsonify(error_payload(code, message, fields))
    response.status_code = status
    return response


class AnonymousUser(AnonymousUserMixin):
    role = None
    is_staff = False
    organization_id = None
    company_id = None
    id = None


def init_app(app: Flask) -> None:
    from marketplace.extensions import login_manager

    login_manager.login_view = "accounts.login"
    login_manager.login_message = Msg("请先登录后再继续")
    login_manager.login_message_category = "info"
    login_manager.anonymous_user = AnonymousUser
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)

    # First of all hooks, so a response another hook ends early (CSRF's 400, a rate limit's 429)
    # still carries its request id.
    app.before_request_funcs.setdefault(None, []).insert(0, _assign_request_id)
    app.after_request(_security_headers)
    _register_template_helpers(app)
    _register_error_handlers(app)


def _load_user(session_id: str) -> Any:
    from marketplace.accounts.models import User
    from marketplace.extensions import db

    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    # A password change bumps the version, which logs out every other session.
    if user is None or user.session_version != int(version):
        return None
    return user


def _unauthorized() -> Any:
    from flask import flash, redirect, url_for

    if is_api_request():
        return json_error(401, "unauthorized", Msg("请先登录"))
    flash(translate(Msg("请先登录后再继续")), "info")
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def request_id(incoming: str) -> str:
    """The id of a request: the proxy's X-Request-Id when it sent a sane one, else a new one."""
    return incoming[:64] if incoming.isascii() and incoming else secrets.token_hex(8)


def _assign_request_id() -> None:
    g.request_id = request_id(request.headers.get("X-Request-Id", ""))


def security_headers(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The headers every response carries (a view may set its own value of one first)."""
    headers = [
        ("Content-Security-Policy", content_security_policy(config)),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if config.get("HSTS"):
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return headers


def _security_headers(response: Response) -> Response:
    for name, value in security_headers(current_app.config):
        response.headers.setdefault(name, value)
    if getattr(g, "request_id", None):
        response.headers.setdefault("X-Request-Id", g.request_id)
    return response


def error_messages(errors: Any) -> list[str]:
    """WTForms errors as a flat list of texts: a field's list, a form-level string, a FieldList's
    nested lists or a FormField's mapping — and lazy strings count as one message, not letters."""
    if isinstance(errors, dict):
        return [text for value in errors.values() for text in error_messages(value)]
    if isinstance(errors, list | tuple):
        return [text for value in errors for text in error_messages(value)]
    return [translate(errors)] if errors else []


def _register_template_helpers(app: Flask) -> None:
    # In place of Flask-Babel's callables (same catalogue, looked up once per request).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda text: request_translations().ugettext(text),
        ngettext=lambda singular, plural, n: request_translations().ungettext(singular, plural, n),
        pgettext=lambda context, text: request_translations().upgettext(context, text),
        npgettext=lambda context, singular, plural, n: request_translations().unpgettext(
            context, singular, plural, n
        ),
        newstyle=True,
    )
    app.jinja_env.filters["fen"] = format_fen
    app.jinja_env.filters["percent_of"] = progress_percent
    app.jinja_env.filters["t"] = translate
    app.jinja_env.filters["reason_text"] = reason_text
    app.jinja_env.filters["error_messages"] = error_messages
    app.jinja_env.filters["localized"] = localized
    app.jinja_env.filters["district_label"] = district_label
    app.jinja_env.filters["join_names"] = join_names
    # A Msg printed straight into a page (a status or role label) appears in the visitor's language.
    app.jinja_env.finalize = lambda value: translate(value) if isinstance(value, Msg) else value
    app.jinja_env.filters["local_date"] = lambda moment: (
        to_local(moment).strftime("%Y-%m-%d") if moment else ""
    )
    app.jinja_env.filters["local_datetime"] = lambda moment: (
        to_local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""
    )

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"current_locale": str(get_locale() or "zh")}


# Title and a friendly explanation per status; the specific reason, when there is one, shows too.
_ERROR_PAGES: dict[int, tuple[Msg, Msg | None]] = {
    400: (Msg("请求有误"), Msg("页面可能已经过期，或提交的内容格式不正确。请返回上一页刷新后重试。")),
    403: (
        Msg("没有访问权限"),
        Msg("您的账号暂时无法查看或操作此页面。如果您认为这是个误会，请联系团区委工作人员。"),
    ),
    404: (Msg("页面不存在"), Msg("您要找的页面不存在，可能已被删除或链接有误。去看看正在筹款的公益项目吧。")),
    405: (Msg("不支持该操作"), None),
    409: (Msg("暂时不能这样操作"), None),
    413: (Msg("文件太大"), Msg("请压缩图片或拆分文件后重新上传。")),
    422: (Msg("提交的内容有误"), None),
    429: (
        Msg("操作太频繁"),
        Msg("为保护账号与资金安全，我们限制了短时间内的请求次数。请休息一分钟后再试。"),
    ),
    503: (Msg("服务暂时不可用"), None),
}


def _error_page(status: int, message: Any) -> Response:
    """The friendly HTML page for an error status, with the specific reason when there is one."""
    title, explanation = _ERROR_PAGES.get(status, _ERROR_PAGES[400])
    html = render_template(
        "errors/error.html",
        status=status,
        title=translate(title),
        explanation=translate(explanation) if explanation else None,
        message=translate(message),
    )
    return Response(html, status=status)


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> Any:
        if is_api_request():
            return json_error(error.status, error.code, error.message, error.fields)
        if error.status == 401:
            return _unauthorized()
        return _error_page(error.status, error.message)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> Any:
        message = Msg("页面已过期或缺少安全校验，请刷新页面后重试")
        if is_api_request():
            return json_error(400, "csrf_failed", message)
        return _error_page(400, message)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        status = error.code or 500
        message = _HTTP_MESSAGES.get(status, error.name)
        if is_api_request():
            response = json_error(status, _HTTP_CODES.get(status, "http_error"), message)
        else:
            response = _error_page(status, message)
        # Keep what the protocol needs, e.g. `Allow` on 405 and `Retry-After` on 429.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(sqlalchemy_exc.DBAPIError)
    @app.errorhandler(sqlalchemy_exc.TimeoutError)
    def _database_error(error: Exception) -> Any:
        if not is_database_outage(error):
            return _unexpected(error)
        return database_unavailable(error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        from marketplace.extensions import db

        db.session.rollback()
        log.exception("unhandled error (request id %s)", getattr(g, "request_id", "-"))
        message = Msg("服务器开小差了，请稍后再试")
        if is_api_request():
            return json_error(500, "internal_error", message)
        return render_template("errors/500.html", message=translate(message)), 500


def is_database_outage(error: BaseException) -> bool:
    """The database cannot be reached or dropped the connection (PostgreSQL restarting, a network
    cut, the pool exhausted, SQLite locked): a retry later will work, so the answer is 503, not 500."""
    if isinstance(error, sqlalchemy_exc.DBAPIError):
        return bool(error.connection_invalidated) or isinstance(
            error, sqlalchemy_exc.OperationalError | sqlalchemy_exc.InterfaceError
        )
    return isinstance(error, sqlalchemy_exc.TimeoutError)


# Seconds a client is asked to wait before retrying while the database is unavailable.
DATABASE_RETRY_AFTER = 5


def database_unavailable(error: BaseException) -> Response:
    """503 for a request the database failed: the session rolled back (its connection is returned to
    the pool, which pings it before reuse) and the visitor shown as signed out on the error page (the
    user row cannot be read now). The next request gets a fresh connection, so no restart is needed."""
    from marketplace.extensions import db, login_manager

    db.discard_session()  # rolls back; a connection the server dropped is discarded, not reused
    # The page must render without the database: current_user would load (or refresh) the user row.
    g._login_user = login_manager.anonymous_user()
    first_line = str(getattr(error, "orig", None) or error).strip().splitlines()[:1]
    log.warning(
        "database unavailable (request id %s): %s: %s",
        getattr(g, "request_id", "-"),
        type(error).__name__,
        first_line[0] if first_line else "",
    )
    message = Msg("数据库暂时无法连接，请稍后刷新重试。")
    if is_api_request():
        response = json_error(503, "database_unavailable", message)
    else:
        response = _error_page(503, message)
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
    response.headers["Cache-Control"] = "no-store"
    return response


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}
_HTTP_MESSAGES = {
    400: Msg("请求格式有误"),
    401: Msg("请先登录"),
    403: Msg("您没有权限执行此操作"),
    404: Msg("找不到该页面或内容"),
    405: Msg("不支持该请求方法"),
    409: Msg("当前状态下不能执行此操作"),
    413: Msg("上传的内容太大"),
    415: Msg("请求内容类型不受支持，请使用 application/json"),
    429: Msg("操作过于频繁，请稍后再试"),
}


def allow_large_uploads(blueprint: Blueprint, endpoints: Iterable[str], limit: int) -> None:
    """Raise the request size limit for the upload ``endpoints`` of ``blueprint``.

    The app-wide MAX_CONTENT_LENGTH is sized for one cover image. The hook goes first among the
    app's before_request hooks: Flask-WTF's CSRF check reads (and size-checks) the form in an
    app-level hook that would otherwise run before any blueprint's.
    """
    names = frozenset(endpoints)

    def raise_limit() -> None:
        if request.endpoint in names:
            request.max_content_length = limit

    @blueprint.record_once
    def install(state: Any) -> None:
        state.app.before_request_funcs.setdefault(None, []).insert(0, raise_limit)
