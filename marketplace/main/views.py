"""Site-wide pages: the home page, the language switch and uploaded files (images, PDF receipts)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import get_locale

from marketplace.projects import queries
from marketplace.uploads import INLINE_TYPES, STORED_CONTENT_TYPES, is_safe_stored_name
from marketplace.web import LANGUAGE_COOKIE

bp = Blueprint("main", __name__)

LANGUAGE_COOKIE_AGE = timedelta(days=365)
# Stored names are random and never reused, so a browser may keep an image for good.
UPLOAD_CACHE_SECONDS = 365 * 24 * 3600


@bp.get("/")
def home() -> Any:
    # Each project appears once on the page: featured first, then closing soon, then the newest.
    featured = queries.featured_projects(limit=3)
    shown = {project.id for project in featured}
    closing_soon = queries.closing_soon_projects(limit=3, exclude=shown)
    shown |= {project.id for project in closing_soon}
    return render_template(
        "main/home.html",
        featured=featured,
        closing_soon=closing_soon,
        newest=queries.newest_projects(limit=6, exclude=shown),
        stats=queries.platform_stats(),
        category_shortcuts=queries.category_shortcuts(),
        english=str(get_locale() or "zh") == "en",
    )


@bp.get("/language/<code>")
def set_language(code: str) -> Any:
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(_same_site_referrer() or url_for("main.home"))
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=int(LANGUAGE_COOKIE_AGE.total_seconds()),
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
    )
    return response


def _same_site_referrer() -> str | None:
    """The page the visitor came from, as a local path, or None when it is another site's."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.scheme not in ("http", "https") or parts.netloc != request.host:
        return None
    path = parts.path or "/"
    # "//evil.example" or "/\evil.example" would be read by browsers as another host.
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    switch_prefix = url_for("main.set_language", code="zh").rsplit("/", 1)[0] + "/"
    if path.startswith(switch_prefix):
        return None  # never bounce back to the switch itself
    return urlunsplit(("", "", path, parts.query, ""))


@bp.get("/uploads/<name>")
def uploaded_file(name: str) -> Any:
    # Only names our own store could have produced: no traversal, no user-chosen file names.
    if not is_safe_stored_name(name):
        abort(404)
    extension = name.rsplit(".", 1)[1]
    # Images show inline; anything else (PDF receipts) is a download, so a crafted document never
    # runs in the site's origin. The file name sent is ours (random hex), never the uploader's.
    response = send_from_directory(
        current_app.config["UPLOAD_DIR"],
        name,
        mimetype=STORED_CONTENT_TYPES[extension],
        as_attachment=extension not in INLINE_TYPES,
        max_age=UPLOAD_CACHE_SECONDS,
        conditional=True,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


@bp.get("/favicon.ico")
def favicon() -> Any:
    # Browsers ask for /favicon.ico whatever the page links; answer with the SVG icon.
    return redirect(url_for("static", filename="img/favicon.svg"), code=301)
