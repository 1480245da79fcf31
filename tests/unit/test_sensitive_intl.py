"""rules_intl's identifiers: each country's driver's licence near its own words, the further national and health ids
(with their check digits), and mailing addresses — positives, and the negatives beside them (no keyword, a wrong
check digit, an address without its postcode)."""

from __future__ import annotations

import io

import pytest

from strongroom.sensitive import build_classifier
from strongroom.sensitive.contract import ScanConfig

ALL = build_classifier(ScanConfig(managed_selector="ALL"))


def found(text: str, name: str = "a.txt") -> dict[str, int]:
    body = text.encode()
    return {d.type: d.count for d in ALL.classify(name, io.BytesIO(body), len(body)).detections}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Führerscheinnummer: 40123456", "AUSTRIA_DRIVERS_LICENSE"),
        ("Numéro de permis 1234567890", "BELGIUM_DRIVERS_LICENSE"),
        ("Шофьорска книжка № 123456789", "BULGARIA_DRIVERS_LICENSE"),
        ("Vozačka dozvola: 12345678", "CROATIA_DRIVERS_LICENSE"),
        ("Άδεια οδήγησης 123456789012", "CYPRUS_DRIVERS_LICENSE"),
        ("Řidičský průkaz: EA 123456", "CZECHIA_DRIVERS_LICENSE"),
        ("Kørekortnummer 12345678", "DENMARK_DRIVERS_LICENSE"),
        ("Juhiluba: ET123456", "ESTONIA_DRIVERS_LICENSE"),
        ("Ajokortti 131052-308T", "FINLAND_DRIVERS_LICENSE"),
        ("Permis de conduire n° 123456789012", "FRANCE_DRIVERS_LICENSE"),
        ("Άδεια οδήγησης 123456789", "GREECE_DRIVERS_LICENSE"),
        ("Vezetői engedély: AB123456", "HUNGARY_DRIVERS_LICENSE"),
        ("Driving licence number 123456ABCD", "IRELAND_DRIVERS_LICENSE"),
        ("Vadītāja apliecība ABC123456", "LATVIA_DRIVERS_LICENSE"),
        ("Vairuotojo pažymėjimas 12345678", "LITHUANIA_DRIVERS_LICENSE"),
        ("Fahrerlaubnis 123456", "LUXEMBOURG_DRIVERS_LICENSE"),
        ("Liċenzja tas-sewqan: 12 345 678", "MALTA_DRIVERS_LICENSE"),
        ("Rijbewijsnummer 5012345678", "NETHERLANDS_DRIVERS_LICENSE"),
        ("Prawo jazdy nr 01234/12/1234", "POLAND_DRIVERS_LICENSE"),
        ("Carta de condução LX-123456 7", "PORTUGAL_DRIVERS_LICENSE"),
        ("Permis de conducere: A12345678", "ROMANIA_DRIVERS_LICENSE"),
        ("Vodičský preukaz: E1234567", "SLOVAKIA_DRIVERS_LICENSE"),
        ("Vozniško dovoljenje 123456789", "SLOVENIA_DRIVERS_LICENSE"),
        ("Körkort 811228-9874", "SWEDEN_DRIVERS_LICENSE"),
        ("Australian driver licence 12345678", "AUSTRALIA_DRIVERS_LICENSE"),
        ("DNI: 23.456.789", "ARGENTINA_DNI_NUMBER"),
        ("RG: 12.345.678-9", "BRAZIL_RG_NUMBER"),
        ("Health card number 1234-567-897 AB", "CANADA_HEALTH_NUMBER"),
        ("PHN 9876543218", "CANADA_HEALTH_NUMBER"),
        ("Cédula de ciudadanía 1.023.456.789", "COLOMBIA_CITIZENSHIP_CARD_NUMBER"),
        ("EHIC 80276000000123456789", "EUROPEAN_HEALTH_INSURANCE_CARD_NUMBER"),
        ("Sairausvakuutuskortti 8024680246 1234567890", "FINLAND_EUROPEAN_HEALTH_INSURANCE_NUMBER"),
        ("Personalausweis L01X00T471", "GERMANY_NATIONAL_IDENTIFICATION_NUMBER"),
        ("UDI: (01)00012345678905(17)281120", "MEDICAL_DEVICE_UDI"),
        ("Electoral roll number: AB123", "UK_ELECTORAL_ROLL_NUMBER"),
        ("HICN 123-45-6789A", "USA_HEALTH_INSURANCE_CLAIM_NUMBER"),
        ("Ship to 1600 Pennsylvania Avenue NW, Washington, DC 20500 today", "ADDRESS"),
        ("Office: 10 Downing Street, London SW1A 2AA.", "ADDRESS"),
        ("Send it to 221 Maple Road, Toronto, ON M5V 2T6", "ADDRESS"),
        ("12 George Street, Sydney NSW 2000", "ADDRESS"),
        ("Adresse : 12 rue de la Paix, 75002 Paris", "ADDRESS"),
        ("Anschrift: Hauptstraße 5, 10115 Berlin", "ADDRESS"),
        ("Via Roma 10, 00184 Roma", "ADDRESS"),
        ("Calle Mayor 5, 28013 Madrid", "ADDRESS"),
    ],
)
def test_positive_and_needs_its_keyword(text: str, expected: str) -> None:
    assert expected in found(text)
    if expected != "ADDRESS":  # an address needs no keyword; the others do
        assert expected not in found(f"Batch {text.split(maxsplit=1)[1].split()[-1]} archived.")


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("Ajokortti 131052-308U", "FINLAND_DRIVERS_LICENSE"),  # wrong check character
        ("Körkort 811228-9875", "SWEDEN_DRIVERS_LICENSE"),  # wrong Luhn digit
        ("Personalausweis L01X00T472", "GERMANY_NATIONAL_IDENTIFICATION_NUMBER"),
        ("UDI: (01)00012345678906", "MEDICAL_DEVICE_UDI"),
        ("HICN 000-45-6789A", "USA_HEALTH_INSURANCE_CLAIM_NUMBER"),  # not an SSN
        ("Health card number 1234-567-890", "CANADA_HEALTH_NUMBER"),  # fails Luhn
        ("Führerschein 00000000", "AUSTRIA_DRIVERS_LICENSE"),
        ("Meet at 42 Main Street, Springfield after lunch", "ADDRESS"),  # no state and ZIP
        ("Release 3 Park Way shipped in 2024", "ADDRESS"),
        ("Build 20500 of the ledger service, region IL 60601", "ADDRESS"),
        # An English driver's licence keyword does not make an 8-digit number Austrian or Croatian.
        ("driver's license 12345678", "AUSTRIA_DRIVERS_LICENSE"),
        ("driver's license 12345678", "CROATIA_DRIVERS_LICENSE"),
    ],
)
def test_negative(text: str, absent: str) -> None:
    assert absent not in found(text)


def test_shared_words_and_shapes() -> None:
    # Dutch is spoken in Belgium and the Netherlands, and both licences are ten digits: both are reported.
    assert {"BELGIUM_DRIVERS_LICENSE", "NETHERLANDS_DRIVERS_LICENSE"} <= found("rijbewijs 5012345678").keys()
    # Greek words, two countries: the length decides.
    assert "CYPRUS_DRIVERS_LICENSE" not in found("Άδεια οδήγησης 123456789")
    assert "GREECE_DRIVERS_LICENSE" not in found("Άδεια οδήγησης 123456789012")


def test_address_in_a_csv_cell_and_a_json_field() -> None:
    csv = 'id,shipping address\n1,"350 Fifth Avenue, New York, NY 10118"\n'
    assert found(csv, "a.csv").get("ADDRESS") == 1
    js = '{"customer": {"address": "Hauptstraße 5, 10115 Berlin"}}'
    assert found(js, "a.json").get("ADDRESS") == 1


def test_a_keyword_and_its_value_across_a_slice_cut_are_paired(monkeypatch: pytest.MonkeyPatch) -> None:
    from strongroom.sensitive import engine

    monkeypatch.setattr(engine, "SLICE", 1)  # every line its own slice
    text = "filler line one\nSocial security number:\n536-22-8726\nfiller line two\nFührerschein\n40123456\n"
    got = found(text)
    assert got.get("USA_SOCIAL_SECURITY_NUMBER") == 1 and got.get("AUSTRIA_DRIVERS_LICENSE") == 1
    monkeypatch.setattr(engine, "OVERLAP", 0)  # without the look back, the value's slice has no keyword
    assert "USA_SOCIAL_SECURITY_NUMBER" not in found(text)
