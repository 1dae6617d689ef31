"""Image uploads (ASVS 5.2, 5.3): type by content, size limit, stored under a generated name. No Flask.

The user's file name and declared Content-Type are ignored: both are attacker-chosen, and a
stored name derived from them invites path traversal and content-type confusion.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import zlib
from pathlib import Path
from uuid import uuid4

from marketplace.errors import DomainError
from marketplace.messages import Msg

MAX_IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = ("png", "jpeg", "webp")
CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_STORED_NAME = re.compile(r"[0-9a-f]{32}\.(?:png|jpeg|webp)")


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


def validate_image(data: bytes, *, field: str = "cover_image") -> str:
    """Return the file extension for ``data`` or raise ``DomainError`` on ``field``."""
    if not data:
        raise DomainError.on(field, Msg("上传的封面图片是空文件，请重新选择"))
    if len(data) > MAX_IMAGE_BYTES:
        raise DomainError.on(field, Msg("封面图片不能超过 %(mb)d MB", mb=MAX_IMAGE_BYTES // (1024 * 1024)))
    kind = sniff_image_type(data)
    if kind is None:
        raise DomainError.on(field, Msg("封面图片必须是 PNG、JPEG 或 WebP 格式的图片（按文件内容检查）"))
    return kind


def store_image(data: bytes, directory: Path, *, field: str = "cover_image") -> str:
    """Validate ``data`` and store it as ``<random hex>.<ext>`` in ``directory``; return that name.

    Written to a temporary file and renamed, so readers never see a half-written image and a
    crash leaves at most a stray ``.tmp`` file, never a truncated image under a real name.
    """
    ext = validate_image(data, field=field)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{uuid4().hex}.{ext}"
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
    return name


def is_safe_stored_name(name: str) -> bool:
    """True only for names :func:`store_image` could have produced (safe to join onto the directory)."""
    return isinstance(name, str) and _STORED_NAME.fullmatch(name) is not None
