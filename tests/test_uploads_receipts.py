"""Receipts for fund-usage reports: PDFs (and images) checked by content, stored under generated
names, and served so that a PDF is a download, never a page in the site's origin."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.errors import DomainError
from marketplace.uploads import (
    MAX_IMAGE_BYTES,
    MAX_PDF_BYTES,
    is_pdf,
    is_safe_stored_name,
    store_image,
    store_receipt,
    validate_image,
    validate_receipt,
)
from tests.unit.test_uploads import JPEG, PNG, WEBP


def make_pdf(text: str = "Receipt 2026-001", *, padding: int = 0) -> bytes:
    """A small but real one-page PDF with a correct cross-reference table; `padding` adds an
    embedded stream of that many bytes (a scanned receipt is mostly one big image stream)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if padding:
        objects.append(b"<< /Length %d >>\nstream\n" % padding + b"\x00" * padding + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


PDF = make_pdf()
RECEIPT_TYPE_REASON = "凭证必须是 PDF 文件或 PNG、JPEG、WebP 图片（按文件内容检查）"


def test_the_fixture_is_a_pdf_by_its_structure() -> None:
    assert PDF.startswith(b"%PDF-1.4")
    assert PDF.rstrip().endswith(b"%%EOF")
    assert b"startxref" in PDF[-64:]


@pytest.mark.parametrize(("data", "kind"), [(PDF, "pdf"), (PNG, "png"), (JPEG, "jpeg"), (WEBP, "webp")])
def test_pdfs_and_images_are_receipts(data: bytes, kind: str) -> None:
    assert validate_receipt(data) == kind


def test_a_pdf_with_padding_after_its_end_marker_is_still_a_pdf() -> None:
    assert is_pdf(PDF + b"\r\n" + b"\x00" * 200)


@pytest.mark.parametrize(
    "data",
    [
        b"<!doctype html><html><script>alert(document.cookie)</script></html>",
        b"<html><body>%PDF-1.4</body></html>",  # the marker somewhere else is not a header
        b"%PDF-1.4\n<script>alert(1)</script>\n",  # header glued onto HTML, no trailer
        b"%PDF-1.4\n" + b"A" * 100 + b"\n%%EOF\n",  # end marker but no cross-reference pointer
        b"%PDF-9.9\n" + PDF[9:],  # no such version
        b"%PDF-",
        PDF[: len(PDF) // 2],  # truncated upload
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00",
        b"PK\x03\x04" + b"\x00" * 40,  # a .docx / zip
        b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 40,
    ],
)
def test_anything_else_is_refused_whatever_its_name(data: bytes) -> None:
    assert not is_pdf(data)
    with pytest.raises(DomainError) as info:
        validate_receipt(data, field="items-0-receipt")
    assert info.value.fields == {"items-0-receipt": RECEIPT_TYPE_REASON}


def test_pdfs_are_never_images() -> None:
    with pytest.raises(DomainError):
        validate_image(PDF)
    with pytest.raises(DomainError):
        validate_image(PDF, field="images", cover=False)


def test_size_limits_differ_for_pdfs_and_images() -> None:
    padding = MAX_PDF_BYTES - len(PDF)
    while len(pdf_at_limit := make_pdf(padding=padding)) != MAX_PDF_BYTES:
        padding += MAX_PDF_BYTES - len(pdf_at_limit)
    assert validate_receipt(pdf_at_limit) == "pdf"
    with pytest.raises(DomainError) as info:
        validate_receipt(pdf_at_limit + b"\n")
    assert info.value.fields == {"receipt": "凭证文件不能超过 10 MB"}

    big_image = PNG + b"\x00" * (MAX_IMAGE_BYTES + 1 - len(PNG))
    with pytest.raises(DomainError) as info:
        validate_receipt(big_image)
    assert info.value.fields == {"receipt": "凭证图片不能超过 5 MB"}


def test_an_empty_receipt_is_refused() -> None:
    with pytest.raises(DomainError) as info:
        validate_receipt(b"")
    assert "空文件" in info.value.fields["receipt"]


def test_update_photos_are_worded_as_photos_not_covers() -> None:
    with pytest.raises(DomainError) as info:
        validate_image(b"not an image", field="images", cover=False)
    assert info.value.fields == {"images": "图片必须是 PNG、JPEG 或 WebP 格式（按文件内容检查）"}


def test_store_receipt_writes_a_pdf_under_a_generated_name(tmp_path: Path) -> None:
    name = store_receipt(PDF, tmp_path / "receipts")
    assert name.endswith(".pdf")
    assert is_safe_stored_name(name)
    assert (tmp_path / "receipts" / name).read_bytes() == PDF
    assert [path.name for path in (tmp_path / "receipts").iterdir()] == [name]


def test_store_receipt_rejects_before_writing(tmp_path: Path) -> None:
    with pytest.raises(DomainError):
        store_receipt(b"<html></html>", tmp_path / "receipts")
    assert not (tmp_path / "receipts").exists()


def test_the_image_store_still_refuses_pdfs(tmp_path: Path) -> None:
    with pytest.raises(DomainError):
        store_image(PDF, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("0123456789abcdef0123456789abcdef.pdf", True),
        ("0123456789abcdef0123456789abcdef.PDF", False),
        ("0123456789abcdef0123456789abcdef.pdf.html", False),
        ("receipt.pdf", False),
    ],
)
def test_stored_pdf_names(name: str, safe: bool) -> None:
    assert is_safe_stored_name(name) is safe


def test_a_pdf_is_served_as_an_attachment_with_nosniff(app: Flask, client: FlaskClient) -> None:
    name = store_receipt(PDF, Path(app.config["UPLOAD_DIR"]))
    response = client.get(f"/uploads/{name}")
    assert response.status_code == 200
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f"attachment; filename={name}"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_images_are_still_shown_inline(app: Flask, client: FlaskClient) -> None:
    name = store_receipt(JPEG, Path(app.config["UPLOAD_DIR"]))
    response = client.get(f"/uploads/{name}")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert not response.headers.get("Content-Disposition", "").startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()
