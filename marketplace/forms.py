"""Form helpers shared by every feature's forms."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm

from marketplace.errors import DomainError
from marketplace.web import translate


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
