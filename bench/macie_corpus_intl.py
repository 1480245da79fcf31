"""The corpus's part for ``rules_intl``'s identifiers: EU and Australian driver's licences near their countries' own
words, more national and health ids (check digits computed here or by python-stdnum, never by the engine), and
mailing addresses of the countries AWS lists, with their hard negatives (a wrong check digit beside the keyword, a
value with no keyword in reach, an address without its postcode)."""

from __future__ import annotations

from collections.abc import Callable

from stdnum import ean, luhn
from stdnum.fi import hetu
from stdnum.se import personnummer
from stdnum.us import ssn

from bench.macie_corpus_ids import DIG, R, Spec, _str, shape


def _digits(n: int) -> Callable[[R, bool], str]:
    return _str(lambda r: str(r.randint(1, 9)) + shape(r, "#" * (n - 1)))


def _hetu(r: R, ok: bool) -> str:
    while True:
        body = f"{r.randint(1, 28):02d}{r.randint(1, 12):02d}{r.randint(50, 99):02d}-{r.randint(2, 899):03d}"
        check = "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(body[:6] + body[7:]) % 31]
        value = body + (check if ok else r.choice([c for c in "0123456789ABCDEFHJKLMNPRSTUVWXY" if c != check]))
        if hetu.is_valid(value) == ok:
            return value


def _pnr(r: R, ok: bool) -> str:
    while True:
        body = f"{r.randint(50, 99):02d}{r.randint(1, 12):02d}{r.randint(1, 28):02d}" + shape(r, "###")
        check = luhn.calc_check_digit(body)
        if not ok:
            check = r.choice([c for c in DIG if c != check])
        value = f"{body[:6]}-{body[6:]}{check}"
        if personnummer.is_valid(value) == ok:
            return value


_ID_ALPHABET = "CFGHJKLMNPRTVWXYZ0123456789"


def _de_id(r: R, ok: bool) -> str:
    # ICAO 9303 check digit: weights 7, 3, 1 repeating; digits as themselves, letters A=10 … Z=35.
    body = r.choice("LMNPRTVWXY") + "".join(r.choice(_ID_ALPHABET) for _ in range(8))
    vals = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    check = sum(v * (7, 3, 1)[i % 3] for i, v in enumerate(vals)) % 10
    return body + str(check if ok else (check + r.randint(1, 9)) % 10)


def _udi(r: R, ok: bool) -> str:
    gtin = "0" + shape(r, "############")
    check = ean.calc_check_digit(gtin)
    if not ok:
        check = r.choice([c for c in DIG if c != check])
    tail = r.choice(
        ["", f"(17){r.randint(24, 30)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}", "(10)" + shape(r, "@@####")]
    )
    return f"(01){gtin}{check}{tail}"


def _hicn(r: R, ok: bool) -> str:
    while True:
        area = f"{r.randint(1, 665):03d}" if ok else r.choice(["000", "666"])
        num = f"{area}{r.randint(1, 99):02d}{r.randint(1, 9999):04d}"
        if ssn.is_valid(num) == ok:
            break
    num = f"{num[:3]}-{num[3:5]}-{num[5:]}" if r.random() < 0.5 else num
    return num + r.choice(["A", "B", "C1", "D", "M", "T", "B2"])


def _ohip(r: R, ok: bool) -> str:
    body = str(r.randint(1, 8)) + shape(r, "########")
    check = luhn.calc_check_digit(body)
    if not ok:
        check = r.choice([c for c in DIG if c != check])
    d = body + check
    sep = r.choice(["-", " ", ""])
    return f"{d[:4]}{sep}{d[4:7]}{sep}{d[7:]}" + r.choice(["", " " + shape(r, "@@")])


_STREETS = ["Main", "Oak", "Maple", "Cedar", "Park", "Washington", "Lake", "Hill", "Elm", "Church", "Mill", "High"]
_US = [("Springfield", "IL"), ("Austin", "TX"), ("Portland", "OR"), ("Denver", "CO"), ("Salem", "MA"), ("Reno", "NV")]
_UK = ["London", "Leeds", "Bristol", "York", "Cardiff", "Bath"]
_CA = [("Toronto", "ON"), ("Vancouver", "BC"), ("Halifax", "NS"), ("Calgary", "AB")]
_AU = [("Sydney", "NSW"), ("Melbourne", "VIC"), ("Brisbane", "QLD"), ("Hobart", "TAS")]
_FR = ["Paris", "Lyon", "Marseille", "Nantes", "Lille"]
_DE = ["Berlin", "München", "Hamburg", "Köln", "Leipzig"]
_IT = ["Roma", "Milano", "Torino", "Napoli"]
_ES = ["Madrid", "Barcelona", "Sevilla", "Valencia"]


def _address(r: R, ok: bool) -> str:
    n = r.randint(1, 9999)
    street = " ".join(r.sample(_STREETS, r.choice([1, 1, 2])))
    kind = r.choice(["Street", "St.", "Avenue", "Ave", "Road", "Rd", "Lane", "Drive", "Boulevard", "Court", "Way"])
    style = r.randrange(8)
    if style == 0:
        city, st = r.choice(_US)
        unit = r.choice(["", f" Apt {r.randint(1, 40)}", f", Suite {r.randint(100, 900)}"])
        post = f" {st} {r.randint(10000, 99999)}" + (f"-{r.randint(1000, 9999)}" if r.random() < 0.3 else "")
        return f"{n} {street} {kind}{unit}, {city}," + (post if ok else "")
    if style == 1:
        pc = shape(r, "@#" + r.choice(["", "@", "#"]) + " #@@")
        return f"{n} {street} {r.choice(['Road', 'Street', 'Lane', 'Close', 'Gardens'])}, {r.choice(_UK)}" + (
            f" {pc}" if ok else ""
        )
    if style == 2:
        city, pr = r.choice(_CA)
        return f"{n} {street} {kind}, {city}" + (f", {pr} {shape(r, '@#@ #@#')}" if ok else "")
    if style == 3:
        city, st = r.choice(_AU)
        return f"{n} {street} {kind}, {city}" + (f" {st} {r.randint(2000, 7999)}" if ok else "")
    if style == 4:
        kind = r.choice(["rue", "avenue", "boulevard", "place", "impasse"])
        tail = f", {r.randint(10000, 95999)} {r.choice(_FR)}" if ok else f", {r.choice(_FR)}"
        return f"{r.randint(1, 200)} {kind} {r.choice(['de la ', 'du ', 'des ', ''])}{r.choice(_STREETS)}{tail}"
    if style == 5:
        kind = r.choice(["straße", "strasse", "weg", "allee", "platz"])
        tail = f", {r.randint(10000, 99999)} {r.choice(_DE)}" if ok else f", {r.choice(_DE)}"
        return f"{r.choice(['Haupt', 'Linden', 'Garten', 'Schiller', 'Bahnhof'])}{kind} {r.randint(1, 150)}{tail}"
    if style == 6:
        tail = f", {r.randint(10000, 99999)} {r.choice(_IT)}" if ok else f", {r.choice(_IT)}"
        street = f"{r.choice(['Via', 'Viale', 'Corso', 'Piazza'])} {r.choice(['Roma', 'Garibaldi', 'Dante'])}"
        return f"{street} {r.randint(1, 99)}{tail}"
    tail = f", {r.randint(10000, 52999)} {r.choice(_ES)}" if ok else f", {r.choice(_ES)}"
    street = f"{r.choice(['Calle', 'Avenida', 'Plaza', 'Paseo'])} {r.choice(['Mayor', 'Real', 'del Sol'])}"
    return f"{street} {r.randint(1, 99)}{tail}"


def _dl(country: str, gen: Callable[[R, bool], str], *keywords: str, **kw: object) -> Spec:
    return Spec(f"{country}_DRIVERS_LICENSE", gen, keywords, checked=False, **kw)  # type: ignore[arg-type]


INTL_SPECS: tuple[Spec, ...] = (
    _dl("AUSTRIA", _digits(8), "Führerschein", "Führerscheinnummer"),
    _dl("BELGIUM", _digits(10), "permis de conduire", "numéro de permis"),
    _dl("NETHERLANDS", _digits(10), "rijbewijs", "rijbewijsnummer", also=("BELGIUM_DRIVERS_LICENSE",)),
    _dl("BULGARIA", _digits(9), "шофьорска книжка", "свидетелство за управление"),
    _dl("CROATIA", _digits(8), "vozačka dozvola", "broj vozačke dozvole"),
    _dl("CYPRUS", _digits(12), "άδεια οδήγησης", "δίπλωμα οδήγησης"),
    _dl("GREECE", _digits(9), "άδεια οδήγησης", "αριθμός άδειας οδήγησης"),
    _dl(
        "CZECHIA",
        _str(lambda r: shape(r, "@@ ######") if r.random() < 0.5 else shape(r, "@@######")),
        "řidičský průkaz",
    ),
    _dl("DENMARK", _digits(8), "kørekort", "kørekortnummer"),
    _dl("ESTONIA", _str(lambda r: shape(r, "@@######")), "juhiluba", "juhiloa number"),
    Spec("FINLAND_DRIVERS_LICENSE", _hetu, ("ajokortti", "ajokortin numero")),
    _dl("FRANCE", _digits(12), "permis de conduire", "numéro de permis"),
    _dl("HUNGARY", _str(lambda r: shape(r, "@@######")), "vezetői engedély", "jogosítvány"),
    _dl("IRELAND", _str(lambda r: shape(r, "######@@@@")), "driving licence number", "ceadúnas tiomána"),
    _dl("LATVIA", _str(lambda r: shape(r, "@@@######")), "vadītāja apliecība", "autovadītāja apliecība"),
    _dl("LITHUANIA", _digits(8), "vairuotojo pažymėjimas"),
    _dl("LUXEMBOURG", _digits(6), "permis de conduire", "Fahrerlaubnis"),
    _dl("MALTA", _str(lambda r: shape(r, r.choice(["** ### ###", "**######"]))), "liċenzja tas-sewqan"),
    _dl("POLAND", _str(lambda r: shape(r, "#####/##/####")), "prawo jazdy", "numer prawa jazdy"),
    _dl(
        "PORTUGAL",
        _str(lambda r: shape(r, r.choice(["@@-###### #", "@@-##### #", "@-###### #", "@-######## #"]))),
        "carta de condução",
        "licença de condução",
    ),
    _dl("ROMANIA", _str(lambda r: shape(r, "@########")), "permis de conducere"),
    _dl("SLOVAKIA", _str(lambda r: shape(r, "@#######")), "vodičský preukaz"),
    _dl("SLOVENIA", _digits(9), "vozniško dovoljenje"),
    Spec("SWEDEN_DRIVERS_LICENSE", _pnr, ("körkort", "körkortsnummer")),
    _dl(
        "AUSTRALIA",
        _str(lambda r: shape(r, r.choice(["########", "#########", "@#####"]))),
        "australian driver licence",
        "driver licence",
        also=("DRIVERS_LICENSE",),
    ),
    Spec(
        "ARGENTINA_DNI_NUMBER",
        _str(lambda r: f"{r.randint(10, 45)}.{r.randint(100, 999)}.{r.randint(100, 999)}"),
        ("DNI", "documento nacional de identidad"),
        checked=False,
    ),
    Spec(
        "BRAZIL_RG_NUMBER",
        _str(lambda r: f"{r.randint(10, 59)}.{r.randint(100, 999)}.{r.randint(100, 999)}-{r.choice(DIG + 'X')}"),
        ("RG", "registro geral"),
        checked=False,
    ),
    Spec("CANADA_HEALTH_NUMBER", _ohip, ("health card number", "OHIP", "personal healthcare number")),
    Spec(
        "COLOMBIA_CITIZENSHIP_CARD_NUMBER",
        _str(lambda r: f"1.{r.randint(0, 999):03d}.{r.randint(100, 999)}.{r.randint(100, 999)}"),
        ("cédula de ciudadanía", "número de cédula"),
        checked=False,
    ),
    Spec(
        "EUROPEAN_HEALTH_INSURANCE_CARD_NUMBER",
        _str(lambda r: r.choice(["80276", "80380", "80250", "80724"]) + shape(r, "###############")),
        ("EHIC", "european health insurance card", "carte européenne d'assurance maladie"),
        checked=False,
    ),
    Spec(
        "FINLAND_EUROPEAN_HEALTH_INSURANCE_NUMBER",
        _str(lambda r: "8024680246" + r.choice(["", " ", "-"]) + shape(r, "##########")),
        ("sairausvakuutuskortti", "EHIC#", "finlandehicnumber#"),
        checked=False,
    ),
    Spec("GERMANY_NATIONAL_IDENTIFICATION_NUMBER", _de_id, ("Personalausweis", "Ausweisnummer")),
    Spec("MEDICAL_DEVICE_UDI", _udi, ("UDI", "unique device identifier")),
    Spec(
        "UK_ELECTORAL_ROLL_NUMBER",
        _str(lambda r: shape(r, r.choice(["@@", "@@@"])) + str(r.randint(1, 2999))),
        ("electoral roll number", "elector number"),
        checked=False,
    ),
    Spec("USA_HEALTH_INSURANCE_CLAIM_NUMBER", _hicn, ("HICN", "health insurance claim number", "HIC#")),
    # No keyword needed: the hard negative is the same street without its postcode (or state and ZIP).
    Spec("ADDRESS", _address, ("address", "mailing address"), required=False, tables=True),
)
