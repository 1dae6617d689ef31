"""Domain errors with field-level reasons, rendered the same way by forms, JSON and the CLI.

Operations raise these; the web layer (``register_error_handlers``) turns them into
``{"error": {"code", "message", "fields"}}`` for the API, and forms show ``fields``
next to the inputs. The CLI prints ``message`` and each field reason and exits non-zero.
"""

from __future__ import annotations

from collections.abc import Mapping

from marketplace.messages import Msg


class DomainError(Exception):
    """Invalid input: 422 with per-field reasons."""

    status = 422
    code = "invalid"
    default_message = Msg("提交的内容有误，请检查后重试")

    def __init__(self, fields: Mapping[str, str] | None = None, message: str | None = None):
        self.fields: dict[str, str] = dict(fields or {})
        self.message: str = message or (
            next(iter(self.fields.values())) if len(self.fields) == 1 else self.default_message
        )
        super().__init__(self.message)

    @classmethod
    def on(cls, field: str, reason: str) -> DomainError:
        return cls({field: reason})

    def __str__(self) -> str:
        if not self.fields:
            return str(self.message)
        details = "；".join(f"{field}: {reason}" for field, reason in self.fields.items())
        return f"{self.message}（{details}）" if len(self.fields) > 1 else str(self.message)


class BadRequest(DomainError):
    status = 400
    code = "bad_request"
    default_message = Msg("请求格式有误")


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    default_message = Msg("请先登录")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = Msg("您没有权限执行此操作")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = Msg("找不到该内容")


class Conflict(DomainError):
    """The request is well-formed but not allowed in the current state (e.g. illegal transition)."""

    status = 409
    code = "conflict"
    default_message = Msg("当前状态下不能执行此操作")
