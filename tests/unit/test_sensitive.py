"""Macie's sensitive-data engine: identifiers with their check digits and keywords, custom identifiers and allow
lists, and each format's occurrence locations."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from typing import Any

import pytest

from strongroom.sensitive import build_classifier, managed_identifiers
from strongroom.sensitive.classifier import selected_ids
from strongroom.sensitive.contract import AllowList, CustomIdentifier, ObjectResult, ScanConfig

ALL = build_classifier(ScanConfig(managed_selector="ALL"))


def scan(name: str, body: bytes, config: ScanConfig | None = None) -> ObjectResult:
    clf = ALL if config is None else build_classifier(config)
    return clf.classify(name, io.BytesIO(body), len(body))


def types(res: ObjectResult) -> dict[str, int]:
    return {d.type: d.count for d in res.detections}


def occ(res: ObjectResult, type_: str) -> dict[str, list[dict[str, Any]]]:
    return next(d.occurrences for d in res.detections if d.type == type_)


def test_catalogue_has_aws_ids_and_ours() -> None:
    ids = {m.id: m for m in managed_identifiers()}
    assert ids["CREDIT_CARD_NUMBER"].category == "FINANCIAL_INFORMATION" and ids["CREDIT_CARD_NUMBER"].recommended
    assert ids["AWS_CREDENTIALS"].category == "CREDENTIALS"
    assert not ids["NAME"].recommended and ids["NAME"].aws
    assert not ids["KOREA_RESIDENT_REGISTRATION_NUMBER"].aws
    assert "GERMANY_BANK_ACCOUNT_NUMBER" in ids and "DRIVERS_LICENSE" in ids


def test_selectors() -> None:
    every = {m.id for m in managed_identifiers()}
    assert selected_ids(ScanConfig(managed_selector="ALL")) == every
    assert selected_ids(ScanConfig(managed_selector="NONE")) == frozenset()
    assert "NAME" not in selected_ids(ScanConfig())
    # INCLUDE is only the listed identifiers (AWS: "Use only the managed data identifiers specified")
    assert selected_ids(ScanConfig(managed_selector="INCLUDE", managed_ids=frozenset({"NAME"}))) == {"NAME"}
    excl = selected_ids(ScanConfig(managed_selector="EXCLUDE", managed_ids=frozenset({"EMAIL_ADDRESS"})))
    assert "EMAIL_ADDRESS" not in excl and "CREDIT_CARD_NUMBER" in excl


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("visa card 4539 1488 0343 6467", "CREDIT_CARD_NUMBER"),
        ("ref 4539148803436467 logged", "CREDIT_CARD_NUMBER_(NO_KEYWORD)"),
        ("ssn 536-22-8726", "USA_SOCIAL_SECURITY_NUMBER"),
        ("IBAN GB82 WEST 1234 5698 7654 32", "UK_BANK_ACCOUNT_NUMBER"),
        ("IBAN DE89370400440532013000", "GERMANY_BANK_ACCOUNT_NUMBER"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_CREDENTIALS"),
        ("token ghp_" + "a1B2" * 9, "GITHUB_TOKEN"),
        ("SIN: 130 692 544", "CANADA_SOCIAL_INSURANCE_NUMBER"),
        ("주민등록번호 900101-1234568", "KOREA_RESIDENT_REGISTRATION_NUMBER"),
        ("사업자등록번호 220-81-62517", "KOREA_BUSINESS_REGISTRATION_NUMBER"),
        ("휴대폰 010-2345-6789", "KOREA_PHONE_NUMBER"),
        ("call +1 415 555 2671", "PHONE_NUMBER"),
        ("date of birth: 04/12/1986", "DATE_OF_BIRTH"),
        ("Cookie: session=3948; lang=en", "HTTP_COOKIE"),
        ("Aadhaar 2341 2341 2346", "INDIA_AADHAAR_NUMBER"),
    ],
)
def test_positive(text: str, expected: str) -> None:
    assert expected in types(scan("a.txt", text.encode()))


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("visa card 4539 1488 0343 6468", "CREDIT_CARD_NUMBER"),  # Luhn fails
        ("card 4111111111111111", "CREDIT_CARD_NUMBER"),  # an issuer's published test number
        ("IMEI 356938035643809", "CREDIT_CARD_NUMBER_(NO_KEYWORD)"),  # Luhn-valid, no issuer range
        ("order 536-22-8726", "USA_SOCIAL_SECURITY_NUMBER"),  # no keyword
        ("ssn 666-22-8726", "USA_SOCIAL_SECURITY_NUMBER"),  # never issued
        ("IBAN GB82 WEST 1234 5698 7654 33", "UK_BANK_ACCOUNT_NUMBER"),  # mod-97 fails
        ("sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709 secret key", "AWS_CREDENTIALS"),
        ("900101-1234567 without any keyword", "KOREA_RESIDENT_REGISTRATION_NUMBER"),  # bad check, no keyword
        ("call 415 555 2671", "PHONE_NUMBER"),  # no country code, no keyword
        ("we ran 3 runs, 12.345.678-5 in total", "CHILE_RUT_NUMBER"),  # "run" is a word here, not a label
        ("exp 02/2026 cvv 123", "DATE_OF_BIRTH"),
    ],
)
def test_negative(text: str, absent: str) -> None:
    assert absent not in types(scan("a.txt", text.encode()))


def test_security_code_is_the_value_after_its_keyword() -> None:
    res = scan("a.txt", b"exp 02/2026 cvv 123")
    d = next(d for d in res.detections if d.type == "CREDIT_CARD_SECURITY_CODE")
    assert d.samples == ["123"]


def test_text_line_ranges() -> None:
    body = b"hello\nnothing here\n  ssn: 536-22-8726\n"
    assert occ(scan("a.txt", body), "USA_SOCIAL_SECURITY_NUMBER") == {
        "lineRanges": [{"start": 3, "end": 3, "startColumn": 8}]
    }


def test_csv_cells_and_header_keyword() -> None:
    body = b"name,ssn\nBob,536-22-8726\n"
    assert occ(scan("a.csv", body), "USA_SOCIAL_SECURITY_NUMBER") == {
        "cells": [{"row": 2, "column": 2, "columnName": "ssn", "cellReference": None}]
    }
    tsv = b"name\tnote\nBob\t536-22-8726\n"
    assert "USA_SOCIAL_SECURITY_NUMBER" not in types(scan("a.tsv", tsv))


def test_json_and_jsonl_records() -> None:
    body = json.dumps({"user": {"ssn": "536-22-8726", "tags": ["x", "a@b.io"]}}).encode()
    res = scan("a.json", body)
    assert occ(res, "USA_SOCIAL_SECURITY_NUMBER") == {"records": [{"jsonPath": "$.user.ssn", "recordIndex": 0}]}
    assert occ(res, "EMAIL_ADDRESS") == {"records": [{"jsonPath": "$.user.tags[1]", "recordIndex": 0}]}
    lines = b'{"a": 1}\n{"contact": "x@y.org"}\n'
    assert occ(scan("a.jsonl", lines), "EMAIL_ADDRESS") == {"records": [{"jsonPath": "$.contact", "recordIndex": 1}]}


def test_xlsx_cells() -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "People"
    ws.append(["name", "email"])
    ws.append(["Bob", "bob@example.com"])
    buf = io.BytesIO()
    wb.save(buf)
    assert occ(scan("p.xlsx", buf.getvalue()), "EMAIL_ADDRESS") == {
        "cells": [{"row": 2, "column": 2, "columnName": "email", "cellReference": "People!B2"}]
    }


def test_parquet_and_avro_records() -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    fastavro = pytest.importorskip("fastavro")
    table = pa.table({"id": [1, 2], "email": ["none", "a@b.io"]})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    assert occ(scan("t.parquet", buf.getvalue()), "EMAIL_ADDRESS") == {
        "records": [{"jsonPath": "$.email", "recordIndex": 1}]
    }
    schema = {"type": "record", "name": "r", "fields": [{"name": "email", "type": "string"}]}
    abuf = io.BytesIO()
    fastavro.writer(abuf, schema, [{"email": "x"}, {"email": "x"}, {"email": "c@d.io"}])
    assert occ(scan("t.avro", abuf.getvalue()), "EMAIL_ADDRESS") == {
        "records": [{"jsonPath": "$.email", "recordIndex": 2}]
    }


def test_pdf_pages() -> None:
    pypdf = pytest.importorskip("pypdf")
    del pypdf
    from tests.unit.pdfgen import one_page_pdf

    res = scan("d.pdf", one_page_pdf(["Contact", "mail bob@example.com"]))
    assert occ(res, "EMAIL_ADDRESS") == {
        "pages": [{"pageNumber": 1, "lineRange": {"start": 2, "end": 2, "startColumn": 6}}]
    }


def test_archives_are_looked_into() -> None:
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as zf:
        zf.writestr("a.csv", "name,ssn\nBob,536-22-8726\n")
        zf.writestr("img.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    res = scan("x.zip", zbuf.getvalue())
    assert types(res)["USA_SOCIAL_SECURITY_NUMBER"] == 1
    assert (res.status, res.reason) == ("PARTIAL", "ARCHIVE_CONTAINS_UNPROCESSED_FILES")
    gz = gzip.compress(b"ssn 536-22-8726\n")
    res = scan("notes.txt.gz", gz)
    assert occ(res, "USA_SOCIAL_SECURITY_NUMBER") == {"lineRanges": [{"start": 1, "end": 1, "startColumn": 5}]}


class _Unbuffered(io.RawIOBase):
    """A plain raw stream (not a BufferedReader), as an SDK's body may be."""

    def __init__(self, data: bytes) -> None:
        self.inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        return self.inner.readinto(b)


@pytest.mark.parametrize("name", ["x.zip", "notes.txt.gz", "plain.txt"])
def test_size_classified_is_the_object_size_whatever_the_stream(name: str) -> None:
    text = b"ssn 536-22-8726\n" * 50
    if name.endswith(".zip"):
        zbuf = io.BytesIO()
        with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("a.txt", text)
            zf.writestr("b.txt", text)
        body = zbuf.getvalue()
    else:
        body = gzip.compress(text) if name.endswith(".gz") else text
    clf = build_classifier(ScanConfig(managed_selector="ALL"))
    streams = [io.BytesIO(body), io.BufferedReader(io.BytesIO(body)), _Unbuffered(body)]
    sizes = {clf.classify(name, s, len(body)).size_classified for s in streams}  # type: ignore[arg-type]
    assert sizes == {len(body)}


def test_unsupported_and_malformed() -> None:
    res = scan("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(100))
    assert (res.status, res.reason) == ("SKIPPED", "UNSUPPORTED_FILE_TYPE_EXCEPTION")
    res = scan("bad.json", b'{"a": ')
    assert (res.status, res.reason) == ("SKIPPED", "UNABLE_TO_PARSE_FILE")


def test_custom_identifier_keywords_distance_and_ignore_words() -> None:
    cdi = CustomIdentifier("cdi-1", "arn:x", "employee", r"EMP-\d{5}", ("employee id",), ("EMP-00000",), 15)
    config = ScanConfig(managed_selector="NONE", custom=[cdi])
    assert types(scan("a.txt", b"employee id: EMP-12345", config)) == {"cdi-1": 1}
    assert types(scan("a.txt", b"employee id: and then much later EMP-12345", config)) == {}
    assert types(scan("a.txt", b"EMP-12345 employee id", config)) == {}  # the keyword must precede
    assert types(scan("a.txt", b"employee id EMP-00000", config)) == {}  # an ignore word
    assert types(scan("a.csv", b"employee id\nEMP-12345\n", config)) == {"cdi-1": 1}  # the column names it
    with pytest.raises(ValueError):
        build_classifier(ScanConfig(custom=[CustomIdentifier("c", "a", "n", r"(a)\1")]))


def test_allow_lists() -> None:
    body = b"mail bob@example.com and ann@example.org"
    words = ScanConfig(managed_selector="ALL", allow_lists=[AllowList("al", words=frozenset({"BOB@example.com"}))])
    assert types(scan("a.txt", body, words))["EMAIL_ADDRESS"] == 1
    regex = ScanConfig(managed_selector="ALL", allow_lists=[AllowList("al", regex=r".*@example\.(com|org)")])
    assert "EMAIL_ADDRESS" not in types(scan("a.txt", body, regex))
    with pytest.raises(ValueError):
        build_classifier(ScanConfig(allow_lists=[AllowList("al", regex="(a)\\1")]))


def test_occurrences_capped_and_counted() -> None:
    body = "\n".join(f"u{i}@example.com" for i in range(20)).encode()
    res = scan("a.txt", body)
    d = next(d for d in res.detections if d.type == "EMAIL_ADDRESS")
    assert d.count == 20 and len(d.occurrences["lineRanges"]) == 15 and res.additional_occurrences
    assert len(d.samples) == 10


def test_large_text_streams_in_chunks() -> None:
    line = b"nothing to see here, just filler text for the scanner\n"
    body = line * 40000 + b"ssn 536-22-8726\n"
    assert occ(scan("big.log", body), "USA_SOCIAL_SECURITY_NUMBER") == {
        "lineRanges": [{"start": 40001, "end": 40001, "startColumn": 5}]
    }


def test_bench_corpus_sample_scores() -> None:
    """A small sample of bench/macie_corpus.py: every labelled value found, nothing else reported."""
    from bench.macie import ours
    from bench.macie_corpus import corpus

    stats = ours(list(corpus(seed=5, documents=24)))
    for ident, c in stats.items():
        assert c["fn"] == 0, (ident, c)
        assert c["fp"] <= max(1, c["tp"] // 20), (ident, c)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("UK driving licence: MORGA753116SM9IJ", "UK_DRIVERS_LICENSE"),
        ("passeport n° 12AB34567", "FRANCE_PASSPORT_NUMBER"),
        ("reisepass C01X00T47", "GERMANY_PASSPORT_NUMBER"),
        ("patente di guida U1X234567Y", "ITALY_DRIVERS_LICENSE"),
        ("passport# AB123456", "CANADA_PASSPORT_NUMBER"),
        ("permiso de conducción 12345678Z", "SPAIN_DRIVERS_LICENSE"),
    ],
)
def test_national_documents(text: str, expected: str) -> None:
    assert expected in types(scan("a.txt", text.encode()))
    assert expected not in types(scan("a.txt", text.split()[-1].encode()))  # the keyword is required


def test_value_inside_a_longer_validated_value_is_part_of_it() -> None:
    # The IBAN's digits 2610 8026 9898 8075 are Luhn-valid in Mastercard's range: still one IBAN, no card.
    found = types(scan("a.txt", b"Refund to IBAN FR92 2610 8026 9898 8075 0797 456; thanks"))
    assert found == {"FRANCE_BANK_ACCOUNT_NUMBER": 1}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SUBE 6061 1234 1234 1235", "ARGENTINA_TARJETA_SUBE"),
        ("CUIT 30-71234567-1", "ARGENTINA_ORGANIZATION_TAX_IDENTIFICATION_NUMBER"),
        ("NIT 900.123.456-8", "COLOMBIA_ORGANIZATION_NIT_NUMBER"),
        ("CEP 01310-100", "BRAZIL_CEP_CODE"),
        ("seguridad social 28 12345678 40", "SPAIN_SOCIAL_SECURITY_NUMBER"),
        ("NPI 1234567893", "USA_NATIONAL_PROVIDER_IDENTIFIER"),
        ("DEA number AB1234563", "USA_DRUG_ENFORCEMENT_AGENCY_NUMBER"),
        ("Medicare MBI 1EG4-TE5-MK73", "USA_MEDICARE_BENEFICIARY_IDENTIFIER"),
        ("NDC 0002-1433-80", "USA_NATIONAL_DRUG_CODE"),
        ("HCPCS code J1100", "USA_HEALTHCARE_PROCEDURE_CODE"),
    ],
)
def test_more_national_and_health_ids(text: str, expected: str) -> None:
    assert expected in types(scan("a.txt", text.encode()))
    assert expected not in types(scan("a.txt", text.split()[-1].encode()))  # the keyword is required


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("SUBE 6061 1234 1234 1234", "ARGENTINA_TARJETA_SUBE"),  # Luhn fails
        ("NPI 1234567890", "USA_NATIONAL_PROVIDER_IDENTIFIER"),
        ("DEA number AB1234567", "USA_DRUG_ENFORCEMENT_AGENCY_NUMBER"),
        ("seguridad social 28 12345678 41", "SPAIN_SOCIAL_SECURITY_NUMBER"),
    ],
)
def test_more_check_digits(text: str, absent: str) -> None:
    assert absent not in types(scan("a.txt", text.encode()))


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("código postal", "56297-419", "BRAZIL_CEP_CODE"),  # accented field name, as written
        ("N.I.T.", "674.147.105-2", "COLOMBIA_INDIVIDUAL_NIT_NUMBER"),  # a field name with its own dots
        ("número de contribuyente", "30-12049949-8", "ARGENTINA_ORGANIZATION_TAX_IDENTIFICATION_NUMBER"),
    ],
)
def test_json_field_names_are_keywords_as_written(key: str, value: str, expected: str) -> None:
    body = json.dumps({"person": {key: value}}, ensure_ascii=False).encode()
    assert expected in types(scan("p.json", body))
    assert expected not in types(scan("p.json", json.dumps({"person": {"ref": value}}).encode()))


def test_a_keyword_longer_than_the_distance_counts_by_its_end() -> None:
    text = b"Cadastro nacional da pessoa juridica e numero: 43.575.967/0001-04."
    assert "BRAZIL_CNPJ_NUMBER" not in types(scan("a.txt", text))  # no keyword (misspelt) in reach
    res = scan("a.txt", "Cadastro nacional da pessoa jurídica: 43.575.967/0001-04.".encode())
    assert "BRAZIL_CNPJ_NUMBER" in types(res)


def test_identifier_details() -> None:
    assert "SPAIN_NIF_NUMBER" in types(scan("a.txt", b"NIF: K4661876Y"))  # the K/L/M forms
    assert "SPAIN_NIF_NUMBER" not in types(scan("a.txt", b"NIF: K4661876X"))
    org = types(scan("a.txt", b"NIT: 976.716.265-1"))
    assert "COLOMBIA_ORGANIZATION_NIT_NUMBER" in org and "COLOMBIA_INDIVIDUAL_NIT_NUMBER" not in org
    assert "LATITUDE_LONGITUDE" in types(scan("a.txt", b"GPS: -32.57658, -147.13033"))  # a short keyword, a sign
