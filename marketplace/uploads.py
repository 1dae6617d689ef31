"""Uploads (ASVS 5.2, 5.3): type by content, size limit, stored under a generated name. No Flask.

Images (PNG, JPEG, WebP) for covers and progress updates; receipts for fund-usage reports may also
be PDFs. The user's file name and declared Content-Type are ignored: both are attacker-chosen, and a
stored name derived from them invites path traversal and content-type confusion. PDFs are served
as downloads (Content-Disposition: attachment), never rendered inside the site's origin.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import zlib
from pathlib import Path
from uuid import uuid4

from marketplace.errors import DomainError
from marketplace.messages import Msg

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_PDF_BYTES = 10 * 1024 * 1024
# A request carrying one PDF document and the form around it.
DOCUMENT_REQUEST_LIMIT = MAX_PDF_BYTES + 1024 * 1024
IMAGE_TYPES = ("png", "jpeg", "webp")
# Image types only: forms use it for their file inputs' `accept` attribute.
CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
RECEIPT_CONTENT_TYPES = {**CONTENT_TYPES, "pdf": "application/pdf"}
# Everything the store can hold, by stored extension (the uploads view serves with these).
STORED_CONTENT_TYPES = RECEIPT_CONTENT_TYPES
INLINE_TYPES = frozenset(IMAGE_TYPES)  # shown in the page; anything else is a download

# errno values that mean "the disk (or this user's quota) is full": a retry later may succeed.
_STORAGE_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


class StorageFull(DomainError):
    """The upload directory's disk or quota is full: nothing was stored (no half-written file is
    left behind) and the caller's transaction must roll back. 503, since a retry later can work."""

    status = 503
    code = "storage_full"
    default_message = Msg(
        "服务器存储空间已满，文件没有保存，本次提交的内容也未保存。请稍后再试，或联系团区委工作人员。"
    )


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_STORED_NAME = re.compile(r"[0-9a-f]{32}\.(?:png|jpeg|webp|pdf)")
_PDF_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")
# Readers find a PDF's cross-reference table from its end: "startxref", an offset, "%%EOF". Some
# writers append a little padding after it, so look at the tail rather than the last bytes only.
_PDF_TAIL = 1024


def _is_png(data: bytes) -> bool:
    # The signature alone is 8 bytes anyone can prepend; a first IHDR chunk with a matching CRC
    # and a non-zero size is what a real encoder writes.
    if len(data) < 33 or not data.startswith(_PNG_SIGNATURE):
        return False
    length = int.from_bytes(data[8:12], "big")
    if length != 13 or data[12:16] != b"IHDR":
        return False
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    crc = int.from_bytes(data[29:33], "big")
    return width > 0 and height > 0 and zlib.crc32(data[12:29]) == crc


def _is_jpeg(data: bytes) -> bool:
    # SOI followed by the start of another marker segment (APPn, DQT, SOF, …).
    return len(data) >= 4 and data[:3] == b"\xff\xd8\xff" and data[3] not in (0x00, 0xFF, 0xD8)


def _is_webp(data: bytes) -> bool:
    if len(data) < 20 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return False
    if data[12:16] not in (b"VP8 ", b"VP8L", b"VP8X"):
        return False
    # The RIFF size counts everything after its own 8-byte header; less data means truncation.
    return int.from_bytes(data[4:8], "little") + 8 <= len(data)


def sniff_image_type(data: bytes) -> str | None:
    """Return "png", "jpeg" or "webp" judged by the bytes alone, or None."""
    if _is_png(data):
        return "png"
    if _is_jpeg(data):
        return "jpeg"
    if _is_webp(data):
        return "webp"
    return None


def is_pdf(data: bytes) -> bool:
    """A PDF by its bytes: the ``%PDF-1.x`` / ``%PDF-2.0`` header first, and the ``startxref`` …
    ``%%EOF`` trailer a reader needs at the end. HTML or a script renamed ``.pdf`` has neither."""
    if len(data) < 32 or not _PDF_HEADER.match(data):
        return False
    tail = data[-_PDF_TAIL:]
    end = tail.rfind(b"%%EOF")
    return end != -1 and tail.rfind(b"startxref", 0, end) != -1


def _mb(limit: int) -> int:
    return limit // (1024 * 1024)


def validate_image(data: bytes, *, field: str = "cover_image", cover: bool = True) -> str:
    """Return the file extension for ``data`` or raise ``DomainError`` on ``field``.

    ``cover=False`` words the reasons for any other picture (a progress update's photos).
    """
    if not data:
        empty = Msg("上传的封面图片是空文件，请重新选择") if cover else Msg("上传的图片是空文件，请重新选择")
        raise DomainError.on(field, empty)
    if len(data) > MAX_IMAGE_BYTES:
        too_big = "封面图片不能超过 %(mb)d MB" if cover else "每张图片不能超过 %(mb)d MB"
        raise DomainError.on(field, Msg(too_big, mb=_mb(MAX_IMAGE_BYTES)))
    kind = sniff_image_type(data)
    if kind is None:
        raise DomainError.on(
            field,
            Msg("封面图片必须是 PNG、JPEG 或 WebP 格式的图片（按文件内容检查）")
            if cover
            else Msg("图片必须是 PNG、JPEG 或 WebP 格式（按文件内容检查）"),
        )
    return kind


def validate_receipt(data: bytes, *, field: str = "receipt") -> str:
    """A receipt is a PNG, JPEG or WebP image (≤ 5 MB) or a PDF (≤ 10 MB), judged by content.
    Return the extension to store it under or raise ``DomainError`` on ``field``."""
    if not data:
        raise DomainError.on(field, Msg("上传的凭证是空文件，请重新选择"))
    if len(data) > MAX_PDF_BYTES:
        raise DomainError.on(field, Msg("凭证文件不能超过 %(mb)d MB", mb=_mb(MAX_PDF_BYTES)))
    if is_pdf(data):
        return "pdf"
    kind = sniff_image_type(data)
    if kind is None:
        raise DomainError.on(field, Msg("凭证必须是 PDF 文件或 PNG、JPEG、WebP 图片（按文件内容检查）"))
    if len(data) > MAX_IMAGE_BYTES:
        raise DomainError.on(field, Msg("凭证图片不能超过 %(mb)d MB", mb=_mb(MAX_IMAGE_BYTES)))
    return kind


def validate_pdf(data: bytes, *, field: str = "file") -> str:
    """A document (a bid's proposal, a consortium's joint agreement) is a PDF of at most 10 MB,
    judged by content."""
    if not data:
        raise DomainError.on(field, Msg("上传的文件是空文件，请重新选择"))
    if len(data) > MAX_PDF_BYTES:
        raise DomainError.on(field, Msg("文件不能超过 %(mb)d MB", mb=_mb(MAX_PDF_BYTES)))
    if not is_pdf(data):
        raise DomainError.on(field, Msg("请上传 PDF 文件（按文件内容检查）"))
    return "pdf"


def store_pdf(data: bytes, directory: Path, *, field: str = "file") -> str:
    """Validate ``data`` as a PDF document and store it; return the generated name."""
    return store_file(data, directory, validate_pdf(data, field=field), field=field)


def store_image(data: bytes, directory: Path, *, field: str = "cover_image", cover: bool = True) -> str:
    """Validate ``data`` as an image and store it; return the generated name (see store_file)."""
    return store_file(data, directory, validate_image(data, field=field, cover=cover), field=field)


def store_receipt(data: bytes, directory: Path, *, field: str = "receipt") -> str:
    """Validate ``data`` as a receipt (image or PDF) and store it; return the generated name."""
    return store_file(data, directory, validate_receipt(data, field=field), field=field)


def store_file(data: bytes, directory: Path, ext: str, *, field: str = "file") -> str:
    """Store already validated ``data`` as ``<random hex>.<ext>`` in ``directory``; return that name.

    Written to a temporary file in the same directory, fsynced and renamed, so readers never see
    a half-written file and a crash leaves at most a stray ``.tmp`` file, never a truncated file
    under a real name. A full disk (ENOSPC, EDQUOT) removes the temporary file and raises
    :class:`StorageFull` on ``field`` (503); other OS errors propagate (a 500, logged).
    """
    if ext not in STORED_CONTENT_TYPES:
        raise ValueError(f"not a stored file type: {ext!r}")
    directory = Path(directory)
    try:
        return _write_atomically(data, directory, f"{uuid4().hex}.{ext}")
    except OSError as error:
        if error.errno in _STORAGE_FULL_ERRNOS:
            raise StorageFull.on(field, StorageFull.default_message) from error
        raise


def _write_atomically(data: bytes, directory: Path, name: str) -> str:
    # Even creating the directory or the empty temporary file can hit a full disk (no inodes).
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(dir=directory, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates 0600; a front-end server running as another user may need to read it.
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, directory / name)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_path)
        raise
    _sync_directory(directory)
    return name


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (a power cut right after could otherwise lose the new
    name). Best effort: some filesystems refuse to open or fsync a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def is_safe_stored_name(name: str) -> bool:
    """True only for names :func:`store_file` could have produced (safe to join onto the directory)."""
    return isinstance(name, str) and _STORED_NAME.fullmatch(name) is not None
