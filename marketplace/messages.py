"""Translatable messages that pure modules can raise without importing Flask.

A ``Msg`` *is* the formatted Chinese text (Chinese is the default language), so the
CLI, logs and tests read it directly; it also keeps its message id and parameters so
that the web layer can translate it for a visitor who chose English. Babel extracts
``Msg("…")`` calls (see babel.cfg).
"""

from __future__ import annotations

from typing import Any


class Msg(str):
    """A user-facing message: Chinese text plus the id and parameters to translate it."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Msg:
        text = msgid % params if params else msgid
        obj = super().__new__(cls, text)
        obj.msgid = msgid
        obj.params = params
        return obj

    def __reduce__(self) -> Any:  # keep pickling (e.g. in sessions) working
        return (_rebuild, (self.msgid, self.params))


def _rebuild(msgid: str, params: dict[str, Any]) -> Msg:
    return Msg(msgid, **params)
