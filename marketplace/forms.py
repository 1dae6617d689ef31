"""Form helpers shared by every feature's forms."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from flask_wtf import FlaskForm

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.money import parse_yuan
from marketplace.web import translate

T = TypeVar("T")


def populate_errors(form: FlaskForm, error: DomainError, *, aliases: dict[str, str] | None = None) -> None:
    """Show an operation's field reasons next to the matching inputs.

    Reasons for fields the form does not have (or a reason-less error) go to `form.form_errors`,
    which `_macros.form_errors` lists at the top. `aliases` maps operation field names to form
    field names where they differ.
    """
    aliases = aliases or {}
    placed = False
    for name, reason in error.fields.items():
        field = getattr(form, aliases.get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), translate(reason)]
            placed = True
        else:
            form.form_errors.append(translate(reason))
    if not placed and not error.fields:
        form.form_errors.append(translate(error.message))


def strip_filter(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class FieldReader:
    """Reads a form's typed values one field at a time, collecting every field's reason instead of
    stopping at the first, so the page can show them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def read(self, parse: Callable[[], T]) -> T | None:
        try:
            return parse()
        except DomainError as error:
            self.errors.update(error.fields)
            return None


def add_error(field: Any, reason: str) -> None:
    """Show ``reason`` (translated) under ``field``, once."""
    text = translate(reason)
    if text not in (field.errors or []):
        field.errors = [*list(field.errors or []), text]


def optional_date(text: str | None, field_name: str) -> date | None:
    """An optional ``YYYY-MM-DD`` date, or None when left empty."""
    value = (text or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError.on(field_name, Msg("日期格式应为 YYYY-MM-DD，例如 2026-01-31")) from None


def optional_int(text: str | None, field_name: str, reason: Msg) -> int | None:
    """An optional whole number typed with ASCII digits (at most nine), or None when left empty."""
    value = (text or "").strip()
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise DomainError.on(field_name, reason)
    return int(value)


def optional_yuan(text: str | None, field: str) -> int | None:
    """An optional amount typed in yuan → fen, or None when left empty."""
    return parse_yuan(text, field=field) if text and text.strip() else None


@dataclass
class Outcome:
    error: DomainError | None = None


@contextmanager
def committed_or_refused() -> Iterator[Outcome]:
    """Commit what the block did, once; or, when an operation refuses with a reason the page can
    show (400, 409, 422 …), roll it all back and hand the error to the page. A refusal of access
    (401/403/404) goes on to the error pages.

        with committed_or_refused() as outcome:
            ops.do_something(...)
        if (error := outcome.error) is not None:
            return render_the_form_again(error)
    """
    outcome = Outcome()
    try:
        yield outcome
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if error.status in (401, 403, 404):
            raise
        outcome.error = error
