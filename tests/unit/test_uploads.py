from __future__ import annotations

import base64
import os
import struct
import zlib
from pathlib import Path

import pytest

from marketplace.errors import DomainError
from marketplace.uploads import (
    MAX_IMAGE_BYTES,
    MAX_PDF_BYTES,
    is_safe_stored_name,
    sniff_image_type,
    store_image,
    store_pdf,
    validate_image,
    validate_pdf,
)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def make_png(width: int = 1, height: int = 1) -> bytes:
    """A real PNG (8-bit greyscale), built by hand the way an encoder would."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(raw))
        + _png_chunk(b"IEND", b"")
    )


PNG = make_png()
# A 2×2 baseline JFIF image (the IPython test suite's 2x2.jpg, 331 bytes).
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912"
    "130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b0800"
    "02000201011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002"
    "010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f024"
    "33627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a63646566676869"
    "6a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4"
    "c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f002bffd9"
)
# The 1×1 lossless WebP that browsers' feature detection uses.
WEBP = base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")

TYPE_REASON = "封面图片必须是 PNG、JPEG 或 WebP 格式的图片（按文件内容检查）"


def test_fixtures_are_what_they_claim() -> None:
    assert len(JPEG) == 331
    assert len(WEBP) == 34


@pytest.mark.parametrize(("data", "kind"), [(PNG, "png"), (JPEG, "jpeg"), (WEBP, "webp")])
def test_real_images_are_accepted(data: bytes, kind: str) -> None:
    assert sniff_image_type(data) == kind
    assert validate_image(data) == kind


@pytest.mark.parametrize(
    "data",
    [
        b"hello, this is a text file renamed to cover.png\n",
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        b"<html><script>alert(1)</script></html>",
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,",
        b"%PDF-1.7\n",
        b"MZ\x90\x00\x03\x00\x00\x00",
        b"BM" + b"\x00" * 60,
        b"\x89PNG\r\n",  # truncated signature
        b"\x89PNG\r\n\x1a\n",  # signature only
        PNG[:20],  # truncated inside IHDR
        PNG[:32],  # IHDR without its CRC
        PNG[:29] + b"\x00\x00\x00\x00" + PNG[33:],  # IHDR with a wrong CRC
        b"\x89PNG\r\n\x1a\n" + b"<script>alert(1)</script>" * 4,  # signature glued onto HTML
        b"\xff\xd8",  # SOI alone
        b"\xff\xd8\xff",
        WEBP[:16],  # truncated header
        WEBP[:-4],  # shorter than its RIFF size says
        b"RIFF\x1a\x00\x00\x00WAVEfmt " + b"\x00" * 18,  # RIFF, but audio
    ],
)
def test_non_images_and_truncated_images_are_rejected(data: bytes) -> None:
    assert sniff_image_type(data) is None
    with pytest.raises(DomainError) as info:
        validate_image(data)
    assert info.value.fields == {"cover_image": TYPE_REASON}


def test_png_with_zero_size_is_rejected() -> None:
    assert sniff_image_type(make_png(width=0)) is None


def test_empty_file() -> None:
    with pytest.raises(DomainError) as info:
        validate_image(b"", field="logo")
    assert set(info.value.fields) == {"logo"}
    assert "空文件" in info.value.fields["logo"]


def test_size_limit() -> None:
    assert MAX_IMAGE_BYTES == 5 * 1024 * 1024
    at_limit = PNG + b"\x00" * (MAX_IMAGE_BYTES - len(PNG))
    assert validate_image(at_limit) == "png"
    with pytest.raises(DomainError) as info:
        validate_image(at_limit + b"\x00")
    assert info.value.fields == {"cover_image": "封面图片不能超过 5 MB"}


def test_store_image_writes_under_a_generated_name(tmp_path: Path) -> None:
    directory = tmp_path / "uploads" / "covers"  # created on demand
    name = store_image(JPEG, directory)
    assert is_safe_stored_name(name)
    assert name.endswith(".jpeg")
    assert (directory / name).read_bytes() == JPEG
    assert [p.name for p in directory.iterdir()] == [name]  # no temp file left behind
    assert (directory / name).stat().st_mode & 0o777 == 0o644


def test_stored_names_are_unique_and_ignore_the_content_type_claimed(tmp_path: Path) -> None:
    names = {store_image(WEBP, tmp_path) for _ in range(5)}
    assert len(names) == 5
    assert all(name.endswith(".webp") for name in names)


def test_store_image_rejects_before_writing(tmp_path: Path) -> None:
    with pytest.raises(DomainError):
        store_image(b"not an image", tmp_path / "covers", field="cover_image")
    assert not (tmp_path / "covers").exists()


def test_store_image_cleans_up_after_a_failed_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_replace(src: str, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        store_image(PNG, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("0123456789abcdef0123456789abcdef.png", True),
        ("0123456789abcdef0123456789abcdef.jpeg", True),
        ("0123456789abcdef0123456789abcdef.webp", True),
        ("0123456789ABCDEF0123456789ABCDEF.png", False),
        ("0123456789abcdef0123456789abcdef.jpg", False),
        ("0123456789abcdef0123456789abcdef.svg", False),
        ("0123456789abcdef0123456789abcdef.png\n", False),
        ("0123456789abcdef0123456789abcde.png", False),
        ("../0123456789abcdef0123456789abcdef.png", False),
        ("0123456789abcdef0123456789abcdef.png/../../etc/passwd", False),
        ("cover.png", False),
        ("", False),
    ],
)
def test_is_safe_stored_name(name: str, safe: bool) -> None:
    assert is_safe_stored_name(name) is safe


# A minimal PDF: header, one empty page, cross-reference table, trailer and %%EOF.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n166\n%%EOF\n"
)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "空文件"),
        (PNG, "请上传 PDF 文件"),  # a bid document is a PDF, not a photo of one
        (b"%PDF-1.4\nnot really", "请上传 PDF 文件"),  # no trailer: truncated
        (PDF + b"\x00" * MAX_PDF_BYTES, "不能超过 10 MB"),
    ],
)
def test_documents_must_be_whole_pdfs_of_at_most_10_mb(data: bytes, reason: str) -> None:
    with pytest.raises(DomainError) as refused:
        validate_pdf(data, field="file")
    assert reason in refused.value.fields["file"]


def test_store_pdf_writes_a_pdf_under_a_generated_name(tmp_path: Path) -> None:
    name = store_pdf(PDF, tmp_path)
    assert is_safe_stored_name(name) and name.endswith(".pdf")
    assert (tmp_path / name).read_bytes() == PDF
