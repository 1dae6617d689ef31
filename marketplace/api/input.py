"""Request input for the JSON API: the body must be a JSON object of known, correctly typed fields.

Types are checked here, strictly, because JSON has them (``"5000"`` is not an amount and
``5000.5`` is not a number of fen); what the values mean is checked by the operations, the same
way for pages, the API and the CLI. Unknown and server-owned fields are refused rather than
ignored, so a client that thinks it set ``status`` learns at once that it did not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from flask import request
from werkzeug.exceptions import BadRequest as WerkzeugBadRequest

from marketplace.errors import BadRequest, DomainError
from marketplace.extensions import db
from marketplace.messages import Msg

NOT_ALLOWED = Msg("不允许设置该字段")
# Fields a client may see but never set: the server, the ledger or staff own them.
SERVER_OWNED_FIELDS: frozenset[str] = frozenset(
    {"id", "status", "raised_amount", "supporters", "organization_id", "owner_id", "featured"}
)
# Large enough for any real id or page, small enough for a BIGINT and an SQL OFFSET.
MAX_QUERY_INTEGER = 2**31 - 1


class UnsupportedMediaType(BadRequest):
    status = 415
    code = "unsupported_media_type"
    default_message = Msg("请求内容类型不受支持，请使用 application/json")


@dataclass(frozen=True)
class JsonField:
    """The JSON type one body field must have: ``string``, ``integer``, ``boolean`` or ``string_list``;
    also ``integer_list``, ``object``, ``object_list`` (what is inside is checked by the endpoint),
    ``string_or_string_list`` and ``date`` (a string written exactly ``YYYY-MM-DD``, see ``parse_day``)."""

    kind: str
    nullable: bool = False
    message: Msg | None = None

    def problem(self, value: Any) -> Msg | None:
        if value is None:
            return None if self.nullable else Msg("该字段不能为 null")
        if self.kind == "string":
            ok = isinstance(value, str)
        elif self.kind == "integer":
            # bool is an int in Python; JSON true is not 1.
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif self.kind == "boolean":
            ok = isinstance(value, bool)
        elif self.kind == "string_list":
            ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
        elif self.kind == "integer_list":
            ok = isinstance(value, list) and all(_is_integer(item) for item in value)
        elif self.kind == "object":
            ok = isinstance(value, dict)
        elif self.kind == "object_list":
            ok = isinstance(value, list) and all(isinstance(item, dict) for item in value)
        elif self.kind == "string_or_string_list":
            ok = isinstance(value, str) or (
                isinstance(value, list) and all(isinstance(item, str) for item in value)
            )
        elif self.kind == "date":
            ok = parse_day(value) is not None
        else:  # pragma: no cover - a typo in a field table
            raise ValueError(f"unknown JSON field kind {self.kind!r}")
        return None if ok else (self.message or _TYPE_MESSAGES[self.kind])


_TYPE_MESSAGES = {
    "string": Msg("该字段应为字符串"),
    "integer": Msg("该字段应为整数"),
    "boolean": Msg("该字段应为 true 或 false"),
    "string_list": Msg("该字段应为字符串列表"),
    "integer_list": Msg("该字段应为整数列表"),
    "object": Msg("该字段应为 JSON 对象"),
    "object_list": Msg("该字段应为 JSON 对象的列表"),
    "string_or_string_list": Msg("该字段应为字符串或字符串列表"),
    "date": Msg("请填写日期，例如 2026-09-07"),
}
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _is_integer(value: Any) -> bool:
    # bool is an int in Python; JSON true is not 1.
    return isinstance(value, int) and not isinstance(value, bool)


def parse_day(value: Any) -> date | None:
    """A calendar day written exactly ``YYYY-MM-DD`` (not 2026/09/07, 20260907 or a week date), or
    None for anything else, including days that do not exist (2026-02-30)."""
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def json_object() -> dict[str, Any]:
    """The request body as a dict, or 415 / 400 when it is not a JSON object."""
    if not request.is_json:
        raise UnsupportedMediaType()
    try:
        body = request.get_json(force=False, silent=False, cache=True)
    except (WerkzeugBadRequest, RecursionError):  # RecursionError: absurdly deep nesting
        raise BadRequest.on("body", Msg("请求体不是有效的 JSON"))
    if not isinstance(body, dict):
        raise BadRequest.on("body", Msg("请求体必须是 JSON 对象"))
    return body


def checked_body(fields: Mapping[str, JsonField], *, optional: bool = False) -> dict[str, Any]:
    """Parse the body and check every field at once; raise one 422 naming each bad field.

    ``optional=True``: a request without any body counts as ``{}`` (e.g. "refund all").
    """
    if optional and not request.get_data(cache=True):
        return {}
    body = json_object()
    errors: dict[str, str] = {}
    for name, value in body.items():
        spec = fields.get(name)
        if spec is None:
            errors[name] = NOT_ALLOWED
        elif (problem := spec.problem(value)) is not None:
            errors[name] = problem
    if errors:
        raise DomainError(errors)
    return body


def field_problems(
    values: Mapping[str, Any], fields: Mapping[str, JsonField], *, prefix: str = ""
) -> dict[str, str]:
    """``checked_body``'s checks for a nested JSON object: each problem keyed ``prefix + name``
    (e.g. ``terms.scope``); unknown fields are refused the same way."""
    errors: dict[str, str] = {}
    for name, value in values.items():
        spec = fields.get(name)
        if spec is None:
            errors[f"{prefix}{name}"] = NOT_ALLOWED
        elif (problem := spec.problem(value)) is not None:
            errors[f"{prefix}{name}"] = problem
    return errors


def require_fields(body: Mapping[str, Any], labels: Mapping[str, Msg]) -> None:
    """422 naming every required field that is absent or null."""
    missing = {
        name: Msg("请填写%(label)s", label=label) for name, label in labels.items() if body.get(name) is None
    }
    if missing:
        raise DomainError(missing)


def query_integer(
    args: Mapping[str, str],
    name: str,
    errors: dict[str, str],
    *,
    default: int | None = None,
    minimum: int = 1,
    maximum: int = MAX_QUERY_INTEGER,
) -> int | None:
    """A whole-number query parameter; problems are added to ``errors`` under its name."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        errors[name] = Msg("应为 %(min)d 到 %(max)d 之间的整数", min=minimum, max=maximum)
        return default
    value = int(raw)
    if not minimum <= value <= maximum:
        errors[name] = Msg("应为 %(min)d 到 %(max)d 之间的整数", min=minimum, max=maximum)
        return default
    return value


T = TypeVar("T")


def run_reporting_every_problem(problems: Mapping[str, str], operation: Callable[[], T]) -> T:
    """Run ``operation`` even when the body had type problems, so that one 422 names every bad field:
    the operation's violations and the API's (whose reason wins on a shared path). A refusal of
    another kind (403, 404, 409) is about who or when, not what, and is answered as it is."""
    try:
        result = operation()
    except DomainError as error:
        if problems and type(error) is DomainError:
            raise DomainError({**error.fields, **problems}) from None
        raise
    if problems:
        db.session.rollback()
        raise DomainError(dict(problems))
    return result
