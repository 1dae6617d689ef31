"""The disk fills up while an upload is being written: the person gets a clear Chinese message (on
the page, and as JSON from the API), no half-written file is left in the upload directory and
nothing of the submission is saved in the database. Freeing space makes the same upload work.

The full disk is real: the upload directory is a 64 KiB tmpfs (we run as root), filled with a
ballast file until only a few pages are left, and the upload is larger than that, so the kernel
answers the write with ENOSPC after part of the file is on disk. Where ``mount`` is not permitted
(a sandbox without CAP_SYS_ADMIN) the fixture falls back to injecting ENOSPC at the OS level: the
file object that ``marketplace/uploads.py`` writes through (``os.fdopen`` on the temporary file in
the upload directory) writes half the data and then raises ``OSError(ENOSPC)``, as the kernel does.
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace import uploads
from marketplace.accounts import operations as accounts
from marketplace.extensions import db
from marketplace.projects.models import Project
from marketplace.tenders import operations as ops
from marketplace.tenders.models import BidDocument
from marketplace.timeutil import local_today
from tests import factories
from tests.tender_support import PDF, consortium_input, make_tender, org_user
from tests.test_projects_operations import png_bytes

FS_BYTES = 64 * 1024
LEFT_BYTES = 8 * 1024  # what the ballast leaves free: less than any upload below
UPLOAD_BYTES = 40 * 1024
BALLAST = "ballast.bin"
FULL_MESSAGE = "服务器存储空间已满"


def _mount_tmpfs(directory: Path) -> bool:
    try:
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={FS_BYTES}", "tmpfs", str(directory)],
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def _unmount(directory: Path) -> None:
    result = subprocess.run(["umount", str(directory)], capture_output=True, timeout=10)
    if result.returncode != 0:  # still busy: detach it now, the kernel frees it when unused
        subprocess.run(["umount", "-l", str(directory)], capture_output=True, timeout=10)


@dataclass
class Disk:
    directory: Path
    real: bool  # a real tmpfs, or ENOSPC injected at the file-object level

    def fill(self, left: int = LEFT_BYTES, files_that_fit: int = 0) -> None:
        """Leave ``left`` bytes free (real), or switch the injected failure on after
        ``files_that_fit`` more files (fallback): say what fits in ``left``, for both to agree."""
        if self.real:
            (self.directory / BALLAST).write_bytes(b"\0" * (FS_BYTES - left))
        else:
            (self.directory / BALLAST).write_bytes(b"\0")
            _Injector.full = True
            _Injector.files_that_fit = files_that_fit

    def free(self) -> None:
        (self.directory / BALLAST).unlink()
        _Injector.full = False

    def files(self) -> list[str]:
        """Everything in the upload directory but the ballast (hidden temporary files included)."""
        return sorted(path.name for path in self.directory.iterdir() if path.name != BALLAST)


class _HalfWriter:
    """A file object that writes half of what it is given, then fails as a full disk does."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    def __enter__(self) -> _HalfWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._handle.close()

    def write(self, data: bytes) -> int:
        self._handle.write(data[: max(1, len(data) // 2)])
        self._handle.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def flush(self) -> None:
        self._handle.flush()

    def fileno(self) -> int:
        return int(self._handle.fileno())


class _Injector:
    full = False
    files_that_fit = 0

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.real_fdopen = os.fdopen

    def fdopen(self, fd: int, *args: Any, **kwargs: Any) -> Any:
        handle = self.real_fdopen(fd, *args, **kwargs)
        target = Path(os.readlink(f"/proc/self/fd/{fd}"))
        if _Injector.full and target.parent == self.directory:
            if _Injector.files_that_fit > 0:
                _Injector.files_that_fit -= 1
                return handle
            return _HalfWriter(handle)
        return handle


@pytest.fixture
def disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Disk]:
    directory = tmp_path / "uploads"
    directory.mkdir()
    if _mount_tmpfs(directory):
        try:
            yield Disk(directory, real=True)
        finally:
            _unmount(directory)
        return
    injector = _Injector(directory.resolve())
    monkeypatch.setattr(uploads.os, "fdopen", injector.fdopen)
    try:
        yield Disk(directory.resolve(), real=False)
    finally:
        _Injector.full = False
        _Injector.files_that_fit = 0


@pytest.fixture
def disk_app(make_app: Any, disk: Disk) -> Flask:
    return make_app(UPLOAD_DIR=str(disk.directory))


def _login(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": factories.PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def _big_png() -> bytes:
    # Validation judges the header; the bytes after IEND only make the file big.
    return png_bytes() + b"\x5a" * UPLOAD_BYTES


def _big_pdf() -> bytes:
    header = b"%PDF-1.4\n"
    return header + b"%" + b"x" * UPLOAD_BYTES + b"\n" + PDF.removeprefix(header)


def _project_form() -> dict[str, Any]:
    form = {
        "title": "长者助餐：磁盘满时的封面",
        "summary": "为独居老人提供营养午餐和上门送餐。",
        "description": "## 背景\n\n社区有 80 位独居老人。",
        "category": "elderly",
        "tags": "助老",
        "district": "鹿城区",
        "community": "五马街道",
        "goal_yuan": "12000",
        "deadline": (local_today() + timedelta(days=40)).isoformat(),
        "funding_model": "keep_it_all",
        "beneficiaries": "80",
        "video_url": "",
    }
    form["cover_image"] = (io.BytesIO(_big_png()), "cover.png", "image/png")
    return form


def _count(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_a_cover_upload_on_a_full_disk_says_so_and_saves_nothing(disk_app: Flask, disk: Disk) -> None:
    with disk_app.app_context():
        email = factories.org_member().email
    client = _login(disk_app, email)
    disk.fill()

    response = client.post("/projects/new", data=_project_form(), content_type="multipart/form-data")

    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert FULL_MESSAGE in page and "请稍后再试" in page and "Traceback" not in page
    assert disk.files() == []  # no half-written cover, no stray temporary file
    assert _count(disk_app, Project) == 0  # the project of that submission was not saved either

    disk.free()
    again = client.post("/projects/new", data=_project_form(), content_type="multipart/form-data")
    assert again.status_code == 303, again.status_code
    with disk_app.app_context():
        project = db.session.scalar(select(Project))
        assert project is not None and disk.files() == [project.cover_image]
        assert (disk.directory / project.cover_image).read_bytes() == _big_png()


@dataclass(frozen=True)
class OpenBid:
    bid_id: int
    lead_email: str
    lead_token: str


def _open_bid(app: Flask) -> OpenBid:
    with app.app_context():
        tender = make_tender(factories.staff())
        lead, partner = org_user(), org_user()
        bid = ops.create_bid(tender, lead, consortium_input(lead, partner))
        token = accounts.issue_api_token(lead)
        db.session.commit()
        return OpenBid(bid.id, lead.email, token)


def test_a_bid_document_on_a_full_disk_via_the_api_is_a_json_503(disk_app: Flask, disk: Disk) -> None:
    bid = _open_bid(disk_app)
    client = disk_app.test_client()
    disk.fill()

    def post() -> Any:
        return client.post(
            f"/api/v1/bids/{bid.bid_id}/documents",
            headers={"Authorization": f"Bearer {bid.lead_token}"},
            data={"kind": "proposal", "title": "投标方案", "file": (io.BytesIO(_big_pdf()), "proposal.pdf")},
            content_type="multipart/form-data",
        )

    response = post()

    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "storage_full"
    assert FULL_MESSAGE in error["message"] and set(error["fields"]) == {"file"}
    assert disk.files() == []
    assert _count(disk_app, BidDocument) == 0
    documented = client.get("/api/v1/openapi.json").get_json()["paths"]["/bids/{bid_id}/documents"]
    assert "503" in documented["post"]["responses"]  # API clients are told this can happen

    disk.free()
    assert post().status_code == 201  # the same request, retried once there is room, works
    assert len(disk.files()) == 1 and _count(disk_app, BidDocument) == 1


def test_a_bid_document_on_a_full_disk_via_the_page_shows_the_reason(disk_app: Flask, disk: Disk) -> None:
    bid = _open_bid(disk_app)
    client = _login(disk_app, bid.lead_email)
    disk.fill()

    response = client.post(
        f"/bids/{bid.bid_id}/documents",
        data={"kind": "proposal", "title": "投标方案", "file": (io.BytesIO(_big_pdf()), "proposal.pdf")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 503
    assert FULL_MESSAGE in response.get_data(as_text=True)
    assert disk.files() == []
    assert _count(disk_app, BidDocument) == 0


# ── several files in one submission: the disk fills up between them ──

PHOTO_BYTES = 20 * 1024  # one fits in ROOM_FOR_ONE, two do not
ROOM_FOR_ONE = 32 * 1024


def _photo(marker: bytes) -> bytes:
    return png_bytes() + marker * PHOTO_BYTES


def _published_project(app: Flask) -> tuple[str, int]:
    with app.app_context():
        owner = factories.org_member()
        reviewer = factories.staff()
        project = factories.project(owner, status="published", reviewer=reviewer)
        factories.pledge(project, factories.company_member(), 100_000, reviewer=reviewer)
        return owner.email, project.id


def test_an_update_whose_second_photo_fills_the_disk_leaves_no_file_and_keeps_the_text(
    disk_app: Flask, disk: Disk
) -> None:
    """The first photo was written when the second found the disk full: it goes too, since no row
    will ever name it, and the form comes back with the title and text the organization typed."""
    from marketplace.projects.models import ProjectUpdate

    email, project_id = _published_project(disk_app)
    client = _login(disk_app, email)
    disk.fill(left=ROOM_FOR_ONE, files_that_fit=1)
    text = "第二期课堂开课，孩子们完成了第一幅作品。" * 20

    response = client.post(
        f"/projects/{project_id}/updates/new",
        data={
            "title": "第二期课堂",
            "body": text,
            "images": [
                (io.BytesIO(_photo(b"\x11")), "one.png", "image/png"),
                (io.BytesIO(_photo(b"\x22")), "two.png", "image/png"),
            ],
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert FULL_MESSAGE in page and "Traceback" not in page
    assert 'value="第二期课堂"' in page and text in page  # what was typed is still in the form
    assert disk.files() == []  # neither photo, nor a temporary file
    assert _count(disk_app, ProjectUpdate) == 0


def _report_with_two_receipts() -> dict[str, Any]:
    return {
        "title": "3 月物资采购",
        "note": "",
        "items-0-description": "课堂文具 60 套",
        "items-0-amount": "320.50",
        "items-0-receipt": (io.BytesIO(_photo(b"\x33")), "receipt1.png", "image/png"),
        "items-1-description": "午餐食材",
        "items-1-amount": "200",
        "items-1-receipt": (io.BytesIO(_photo(b"\x44")), "receipt2.png", "image/png"),
    }


def test_a_report_whose_second_receipt_fills_the_disk_saves_nothing(disk_app: Flask, disk: Disk) -> None:
    from marketplace.projects.models import FundUsageReport

    email, project_id = _published_project(disk_app)
    client = _login(disk_app, email)
    disk.fill(left=ROOM_FOR_ONE, files_that_fit=1)

    response = client.post(
        f"/projects/{project_id}/reports/new",
        data=_report_with_two_receipts(),
        content_type="multipart/form-data",
    )

    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert FULL_MESSAGE in page and 'value="课堂文具 60 套"' in page
    assert disk.files() == []
    assert _count(disk_app, FundUsageReport) == 0

    disk.free()  # with room again, the same report goes through and keeps both receipts
    again = client.post(
        f"/projects/{project_id}/reports/new",
        data=_report_with_two_receipts(),
        content_type="multipart/form-data",
    )
    assert again.status_code == 303, again.status_code
    with disk_app.app_context():
        report = db.session.scalar(select(FundUsageReport))
        assert report is not None
        assert disk.files() == sorted(item.receipt_file for item in report.items)
