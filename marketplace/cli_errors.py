"""How every command reports a refused operation: the same per-field reasons the pages show, naming
the command-line option instead of the form field, then exit 1 with nothing saved."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NoReturn

import click

from marketplace.errors import DomainError
from marketplace.extensions import db


def exit_refused(error: DomainError, option_for_field: Mapping[str, str]) -> NoReturn:
    db.session.rollback()
    if error.fields:
        for field, reason in error.fields.items():
            click.echo(f"错误 {option_for_field.get(field, field)}：{reason}", err=True)
    else:
        click.echo(f"错误：{error.message}", err=True)
    raise SystemExit(1)
