"""Helpers for Macie's end-to-end tests: documents in every format Macie classifies, built with the libraries, and
the numbers and keys they hold (Luhn-valid cards outside the issuers' test ranges, an AWS secret key)."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from typing import Any

CARD_1 = "4532015112830366"
CARD_2 = "5524612345678906"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
EMAIL_1 = "alice@example.com"
EMAIL_2 = "bob@example.org"


def csv_doc() -> bytes:
    return f"name,email,credit card number\nAlice,{EMAIL_1},{CARD_1}\nBob,{EMAIL_2},{CARD_2}\n".encode()


def json_doc() -> bytes:
    return json.dumps(
        {
            "customers": [
                {"name": "Alice", "contact": {"email": EMAIL_1}},
                {"name": "Bob", "contact": {"email": EMAIL_2}},
            ]
        }
    ).encode()


def text_doc() -> bytes:
    return f"# deployment notes\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = {SECRET}\n".encode()


def pdf_doc(lines: list[str]) -> bytes:
    """A one-page PDF (Helvetica text lines), written by hand: the PDF structure is small and fixed."""
    text = "".join(f"({line}) Tj T* " for line in lines)
    stream = f"BT /F1 12 Tf 14 TL 72 720 Td {text}ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def xlsx_doc() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "cards"
    sheet.append(["holder", "credit card number"])
    sheet.append(["Alice", CARD_1])
    sheet.append(["Bob", CARD_2])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def parquet_doc() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"name": ["Alice", "Bob", "Carol"], "email": [EMAIL_1, "none", EMAIL_2]})
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def zip_doc() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("inner/creds.txt", text_doc())
        archive.writestr("inner/readme.txt", b"nothing to see here\n")
    return out.getvalue()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def wait_job(
    macie: Any, server: Any, job_id: str, want: tuple[str, ...] = ("COMPLETE",), timeout: float = 30
) -> dict[str, Any]:
    """Advance the server clock a second at a time (running due scheduler jobs) until the job reaches ``want``."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = macie.describe_classification_job(jobId=job_id)
        if job["jobStatus"] in want:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} is {job['jobStatus']}, not {want}")
        server.advance(1)
