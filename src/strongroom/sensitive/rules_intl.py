"""Managed identifiers beyond ``rules.py``: the EU (and Australian) driver's licences, more national and health
identifiers, and mailing addresses. Same ``Rule`` contract; ``classifier`` selects from ``ALL_RULES``.

AWS documents these identifiers' keywords but not their formats. The formats are the issuing countries' published
ones (as DLP products document them: Austria's eight digits, Ireland's six digits and four letters, Poland's
``00000/00/0000``…); check digits where the number has one (Finland's and Sweden's personal codes, Germany's identity
card, GS1 device identifiers). A driver's licence number of a non-English-speaking country is looked for only near
that country's own words for it: the English keywords already find the US identifier, and most EU numbers are
digit runs whose shape alone says nothing about the country."""

from __future__ import annotations

from collections.abc import Callable

from stdnum import luhn
from stdnum.fi import hetu as fi_hetu
from stdnum.se import personnummer as se_pnr
from stdnum.us import ssn as us_ssn

from strongroom.sensitive import validators
from strongroom.sensitive.rules import DL_KW, RULES, Rule, _kw

_B = r"\b"


def _dl(country: str, pattern: str, keywords: str, check: str | None = "not_all_same", adjacent: bool = True) -> Rule:
    """A driver's licence: the value's shape, the country's words for it, and (for bare digit runs) the keyword
    directly before the value, with no other number in between (as the US identifier)."""
    return Rule(f"{country}_DRIVERS_LICENSE", _B + "(" + pattern + ")" + r"\b", check, _kw(keywords), True, adjacent)


_DE_KW = "führerschein, fuhrerschein, fuehrerschein, führerscheinnummer, fuhrerscheinnummer, fuehrerscheinnummer"
_FR_KW = "permis de conduire, numéro de permis, numéro du permis, no de permis"
_GR_KW = "άδεια οδήγησης, αδεια οδηγησης, δίπλωμα οδήγησης, αριθμός άδειας οδήγησης"

DRIVERS_LICENSES: tuple[Rule, ...] = (
    _dl("AUSTRIA", r"\d{8}", _DE_KW + ", lenkerberechtigung, österreichischer führerschein"),
    _dl("BELGIUM", r"\d{10}", "rijbewijs, rijbewijsnummer, " + _FR_KW + ", führerschein belgien"),
    _dl("BULGARIA", r"\d{9}", "шофьорска книжка, свидетелство за управление, номер на шофьорска книжка"),
    _dl("CROATIA", r"\d{8}", "vozačka dozvola, vozacka dozvola, broj vozačke dozvole"),
    _dl("CYPRUS", r"\d{12}", _GR_KW),
    _dl("CZECHIA", r"[A-Z]{2} ?\d{6}", "řidičský průkaz, ridicsky prukaz, číslo řidičského průkazu"),
    _dl("DENMARK", r"\d{8}", "kørekort, korekort, kørekortnummer, kørekortnr"),
    _dl("ESTONIA", r"[A-Z]{2}\d{6}", "juhiluba, juhiloa number, juhtimisõigus, juhiloa nr"),
    # The Finnish licence carries the holder's personal identity code (henkilötunnus), with its check character.
    _dl("FINLAND", r"\d{6}[\-+A-FU-Y]\d{3}[0-9A-Y]", "ajokortti, ajokortin numero, ajokortin nro, körkort", "fi_hetu"),
    _dl("FRANCE", r"\d{12}", _FR_KW),
    _dl("GREECE", r"\d{9}", _GR_KW),
    _dl("HUNGARY", r"[A-Z]{2}\d{6}", "vezetői engedély, vezetoi engedely, jogosítvány, jogositvany"),
    _dl(
        "IRELAND",
        r"\d{6}[A-Z]{4}",
        "ceadúnas tiomána, ceadunas tiomana, irish driving licence, driving licence number, driving licence",
        None,
        adjacent=False,
    ),
    _dl("LATVIA", r"[A-Z]{3}\d{6}", "autovadītāja apliecība, vadītāja apliecība, vaditaja apliecība, vadītāja apl"),
    _dl("LITHUANIA", r"\d{8}", "vairuotojo pažymėjimas, vairuotojo pazymejimas, vairuotojo pažymėjimo numeris"),
    _dl("LUXEMBOURG", r"\d{6}", _FR_KW + ", " + _DE_KW + ", fahrerlaubnis"),
    _dl("MALTA", r"[A-Z0-9]{2} ?\d{3} ?\d{3}", "liċenzja tas-sewqan, licenzja tas-sewqan, liċenzja tas-sewqan nru"),
    _dl("NETHERLANDS", r"\d{10}", "rijbewijs, rijbewijsnummer, rijbewijs nummer"),
    _dl("POLAND", r"\d{5}/\d{2}/\d{4}", "prawo jazdy, prawa jazdy, numer prawa jazdy", None),
    _dl(
        "PORTUGAL",
        r"[A-Z]{2}-\d{5,6} \d|[A-Z]-\d{6} \d|[A-Z]-\d{8} \d",
        "carta de condução, carta de conducao, licença de condução, número da carta de condução",
        None,
    ),
    _dl("ROMANIA", r"[A-Z]\d{8}", "permis de conducere, permisul de conducere, numărul permisului de conducere"),
    _dl("SLOVAKIA", r"[A-Z]\d{7}", "vodičský preukaz, vodicsky preukaz, číslo vodičského preukazu"),
    _dl("SLOVENIA", r"\d{9}", "vozniško dovoljenje, vozniško dovoljenje št"),
    # The Swedish licence carries the personnummer, whose last digit is a Luhn check digit.
    _dl("SWEDEN", r"\d{6}[\-+]\d{4}", "körkort, korkort, körkortsnummer, körkortsnr", "se_pnr"),
    # States issue different shapes (NSW eight digits, Victoria up to ten, South Australia a letter and five digits);
    # the English keywords are the US identifier's too, so a US-shaped number near them is reported as both.
    Rule(
        "AUSTRALIA_DRIVERS_LICENSE",
        _B + r"(\d{8,10}|[A-Z]\d{5})" + r"\b",
        "not_all_same",
        DL_KW + _kw("australian driver licence, driver licence number, licence no, licence number"),
        required=True,
        adjacent=True,
    ),
)


def _de_idcard(s: str) -> bool:
    """The German identity card's serial (Personalausweis, since 2010): nine characters of a 27-symbol alphabet and
    the ICAO 9303 check digit (weights 7, 3, 1; letters count A=10 … Z=35)."""
    if len(s) != 10 or not s[-1].isdigit():
        return False
    total = sum((int(c, 36)) * (7, 3, 1)[i % 3] for i, c in enumerate(s[:9]))
    return total % 10 == int(s[-1])


def _gs1(s: str) -> bool:
    """A GS1 UDI's device identifier: ``(01)`` and a GTIN-14 whose last digit is the GS1 mod-10 check digit."""
    gtin = s[4:18]
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(gtin[:13]))
    return (10 - total % 10) % 10 == int(gtin[13])


def _hicn(s: str) -> bool:
    """A Medicare HICN: the beneficiary's (or wage earner's) SSN, then a beneficiary identification code."""
    return us_ssn.is_valid("".join(c for c in s if c.isdigit())[:9])


def _ohip(s: str) -> bool:
    # Ontario's ten digits carry a Luhn check digit; British Columbia's PHN (9 and nine digits) a mod-11 one;
    # Quebec's RAMQ (four letters and eight digits) carries the holder's name and birth date.
    d = "".join(c for c in s if c.isdigit())
    if len(d) == 8:
        return True
    if d[0] == "9":
        total = sum(int(c) * w for c, w in zip(d[1:9], (2, 4, 8, 5, 10, 9, 7, 3), strict=True))
        return total % 11 > 1 and 11 - total % 11 == int(d[9])
    return luhn.is_valid(d)


validators.CHECKS.update(
    {
        "fi_hetu": lambda s: bool(fi_hetu.is_valid(s)),
        "se_pnr": lambda s: bool(se_pnr.is_valid(s)),
        "de_idcard": _de_idcard,
        "gs1": _gs1,
        "us_hicn": _hicn,
        "ca_health": _ohip,
    }
)


def _ehic(value: str, has_kw: Callable[[], bool]) -> str | None:
    if not has_kw():
        return None
    return (
        "FINLAND_EUROPEAN_HEALTH_INSURANCE_NUMBER"
        if value.startswith("80246")
        else "EUROPEAN_HEALTH_INSURANCE_CARD_NUMBER"
    )


_STREET_EN = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Parkway|Pkwy|"
    r"Highway|Hwy|Circle|Cir|Close|Crescent|Cres|Square|Sq|Grove|Gardens|Parade|Row|Walk)\.?"
)
_NAME = r"(?:[A-Z][a-z']+|[A-Z]{2,}|\d+(?:st|nd|rd|th))"
_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|"
    "OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
_CITY = r"[A-Z][a-zà-ÿ'\-]+(?: [A-Z][a-zà-ÿ'\-]+){0,2}"
# A mailing address as the countries AWS lists write them: a house number, a street name and a street-type word, a
# town, and the country's postcode (a US state and ZIP, a UK postcode, a Canadian province and postal code, an
# Australian state and postcode; five digits before the town in France, Germany, Italy and Spain, where the street
# word comes first). Without the postcode a number and "Street" are too common in prose to report.
_POSTCODE_EN = "|".join(
    [
        r"(?:" + _US_STATES + r") \d{5}(?:-\d{4})?",
        r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}",
        r"(?:AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT) [A-Z]\d[A-Z] ?\d[A-Z]\d",
        r"(?:NSW|VIC|QLD|SA|WA|TAS|ACT|NT) \d{4}",
    ]
)
_UNIT = r"(?:(?:Apt|Suite|Unit|Flat)\.? ?#?\w{1,5},? )?"
_ADDRESS_FORMS = [
    # 1600 Pennsylvania Avenue NW, Washington, DC 20500 / 10 Downing Street, London SW1A 2AA
    rf"\b\d{{1,5}}[A-Za-z]? {_NAME}(?: {_NAME}){{0,3}} {_STREET_EN}(?: (?:N|S|E|W|NE|NW|SE|SW)\b)?,? {_UNIT}"
    rf"{_CITY},? (?:{_POSTCODE_EN})\b",
    # 12 rue de la Paix, 75002 Paris
    r"\b\d{1,4}(?: bis| ter)?,? (?:rue|avenue|boulevard|bd|place|allée|impasse|chemin|quai|route) "
    rf"(?:(?:de la|de l'|du|des|de|d')\s?)?{_CITY},? \d{{5}} {_CITY}",
    # Via Roma 10, 00184 Roma / Calle Mayor 5, 28013 Madrid
    r"\b(?:Via|Viale|Piazza|Corso|Calle|Avenida|Avda\.|Plaza|Paseo|Carrer) (?:(?:de la|del|de|dei|della|di) )?"
    rf"{_CITY},? \d{{1,4}}[A-Za-z]?,? \d{{5}} {_CITY}",
    # Hauptstraße 5, 10115 Berlin
    r"\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm) \d{1,4}[a-z]?,? \d{5} " + _CITY,
]
_ADDRESS = "(" + "|".join(_ADDRESS_FORMS) + ")"

MORE: tuple[Rule, ...] = (
    Rule(
        "ADDRESS",
        _ADDRESS,
        anchor=(
            r"\b\d{5}(?:-\d{4})? [A-Z]|\b(?:" + _US_STATES + r"|NSW|VIC|QLD|TAS|ACT|AB|BC|ON|QC|NS|MB|SK) \d"
            r"|\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b|\b[A-Z]\d[A-Z] \d[A-Z]\d\b"
        ),
    ),
    Rule(
        "ARGENTINA_DNI_NUMBER",
        _B + r"(\d{2}\.\d{3}\.\d{3}|\d\.\d{3}\.\d{3}|\d{7,8})" + r"\b",
        "not_all_same",
        _kw("dni, d.n.i., documento nacional de identidad, número de documento, numero de documento, documento"),
        required=True,
        adjacent=True,
    ),
    Rule(
        "BRAZIL_RG_NUMBER",
        _B + r"(\d{1,2}\.\d{3}\.\d{3}-[0-9Xx]|\d{8}[0-9Xx])" + r"\b",
        "not_all_same",
        _kw("rg, r.g., registro geral, carteira de identidade, cédula de identidade, cedula de identidade"),
        required=True,
        adjacent=True,
    ),
    Rule(
        "CANADA_HEALTH_NUMBER",
        _B + r"(\d{4}[ \-]?\d{3}[ \-]?\d{3}(?:[ \-]?[A-Z]{2})?|[A-Z]{4} ?\d{4} ?\d{4})" + r"\b",
        "ca_health",
        _kw(
            "canada healthcare number, msp number, personal healthcare number, phn, soins de santé, health card, "
            "health card number, health number, ohip, ohip number, personal health number, "
            "carte santé, carte d'assurance maladie, numéro d'assurance maladie, ramq, care card"
        ),
        required=True,
        adjacent=True,
    ),
    Rule(
        "COLOMBIA_CITIZENSHIP_CARD_NUMBER",
        _B + r"(\d{1,3}(?:\.\d{3}){2,3}|\d{6,10})" + r"\b",
        "not_all_same",
        _kw(
            "cédula de ciudadanía, cedula de ciudadania, número de cédula, numero de cedula, cédula, cedula, "
            "tarjeta de ciudadanía, c.c."
        ),
        required=True,
        adjacent=True,
    ),
    # The card number of the European Health Insurance Card: 20 digits, Finland's beginning with its institution
    # prefix 80246 (one rule, the prefix picks the identifier).
    Rule(
        "EUROPEAN_HEALTH_INSURANCE_CARD_NUMBER",
        _B + r"(\d{10}[ \-]?\d{10})" + r"\b",
        "not_all_same",
        _kw(
            "assicurazione sanitaria numero, carta assicurazione numero, carte d'assurance maladie, carte d’assurance "
            "maladie, carte européenne d'assurance maladie, ceam, ehic, ehic#, ehic number, european health insurance "
            "card, european health insurance card number, gesundheitskarte, europäische krankenversicherungskarte, "
            "tarjeta sanitaria europea, tessera europea di assicurazione malattia, finlandehicnumber#, "
            "sairaanhoitokortti, eurooppalainen sairaanhoitokortti, sairausvakuutuskortti, sairausvakuutusnumero, "
            "suomen sairausvakuutuskortti, kela-kortti, sjukförsäkringskort, hälsokort"
        ),
        required=True,
        adjacent=True,
        resolve=_ehic,
        ids=("EUROPEAN_HEALTH_INSURANCE_CARD_NUMBER", "FINLAND_EUROPEAN_HEALTH_INSURANCE_NUMBER"),
    ),
    Rule(
        "GERMANY_NATIONAL_IDENTIFICATION_NUMBER",
        _B + r"([CFGHJKLMNPRTVWXYZ0-9]{9}\d)" + r"\b",
        "de_idcard",
        _kw(
            "personalausweis, personalausweisnummer, ausweisnummer, ausweis-nr, ausweis nr, ausweis, "
            "identity card number, german id card"
        ),
        required=True,
    ),
    Rule(
        "MEDICAL_DEVICE_UDI",
        r"(\(01\)\d{14}(?:\((?:10|11|17|21)\)[0-9A-Za-z\-]{1,20})*)",
        "gs1",
        _kw("udi, unique device identifier, unique device identification, device identifier, udi-di, gudid"),
        required=True,
    ),
    Rule(
        "UK_ELECTORAL_ROLL_NUMBER",
        _B + r"([A-Z]{2,3}\d{1,4}(?:/\d{1,4})?)" + r"\b",
        None,
        _kw("electoral roll number, electoral roll no, elector number, electoral number, electoral roll, poll number"),
        required=True,
        adjacent=True,
    ),
    Rule(
        "USA_HEALTH_INSURANCE_CLAIM_NUMBER",
        _B + r"(\d{3}-?\d{2}-?\d{4}[ \-]?(?:[ABDHMTW]\d?|C[1-9A-Z]?|[EFJK]\d?))" + r"\b",
        "us_hicn",
        _kw(
            "health insurance claim number, hic no, hic no., hic number, hic#, hicn, hicn#., hicno#, "
            "medicare claim number"
        ),
        required=True,
    ),
)

ALL_RULES: tuple[Rule, ...] = RULES + DRIVERS_LICENSES + MORE
