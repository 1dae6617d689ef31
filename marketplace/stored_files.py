"""Files written for a database change live and die with its transaction.

Operations store uploads through these functions rather than marketplace.uploads directly: each
stored file is remembered on the session that will record its name, and removed again when that
transaction ends without a commit — a full disk on the second photo of an update, a bad amount found
after the receipts were written, a failed commit. So the upload directory holds no file that no row
names. (A crash between the write and the commit can still leave one; `uploads` only promises that
it is never a half-written file.) The other way round, a file the transaction stops naming (a
replaced cover image) is removed once it commits, and kept when it does not.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from marketplace import uploads
from marketplace.extensions import db

log = logging.getLogger(__name__)

_PENDING = "qqc_stored_files"  # in Session.info: paths written in the open transaction
_DISCARDED = "qqc_discarded_files"  # in Session.info: paths the open transaction stops naming


def _written(directory: Path, name: str) -> str:
    db.session.info.setdefault(_PENDING, []).append(Path(directory) / name)
    return name


def store_file(data: bytes, directory: Path, ext: str, *, field: str = "file") -> str:
    """uploads.store_file, removed again unless the session's transaction commits."""
    return _written(directory, uploads.store_file(data, directory, ext, field=field))


def store_image(data: bytes, directory: Path, *, field: str = "cover_image", cover: bool = True) -> str:
    """uploads.store_image, removed again unless the session's transaction commits."""
    return _written(directory, uploads.store_image(data, directory, field=field, cover=cover))


def store_pdf(data: bytes, directory: Path, *, field: str = "file") -> str:
    """uploads.store_pdf, removed again unless the session's transaction commits."""
    return _written(directory, uploads.store_pdf(data, directory, field=field))


def discard_after_commit(directory: Path, name: str) -> None:
    """Remove a stored file once the transaction that stops naming it commits; until then (and for
    good, if it rolls back) the row still names it."""
    db.session.info.setdefault(_DISCARDED, []).append(Path(directory) / Path(name).name)


def _unlink(paths: list[Path], why: str) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove %s, %s", path, why)


@event.listens_for(Session, "after_commit")
def _keep(session: Session) -> None:
    session.info.pop(_PENDING, None)
    _unlink(session.info.pop(_DISCARDED, []), "which a committed change stopped naming")


@event.listens_for(Session, "after_transaction_end")
def _remove_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction only: a savepoint's end decides nothing about the files.
    if transaction.parent is not None:
        return
    session.info.pop(_DISCARDED, None)  # not committed: the rows still name them
    _unlink(session.info.pop(_PENDING, []), "written for a change that was rolled back")
