"""The corpus's per-identifier part: for every managed identifier that detects something, valid values (check digits
computed by python-stdnum or the identifier's published algorithm, never by the engine under test) placed in prose
after one of the identifier's documented keywords, in a CSV column named by a keyword and in a JSON field named by one;
and hard negatives for it — the same shape with a wrong check digit next to the keyword, and (for identifiers whose
keyword is required) a valid value with no keyword in reach."""

from __future__ import annotations

import base64
import functools
import json
import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.ar import cuit
from stdnum.au import tfn
from stdnum.br import cnpj
from stdnum.ca import sin
from stdnum.cl import rut
from stdnum.co import nit
from stdnum.de import idnr
from stdnum.es import cif, dni, nie, nif
from stdnum.fr import nif as fr_nif
from stdnum.fr import nir
from stdnum.gb import nhs, utr
from stdnum.in_ import pan
from stdnum.it import codicefiscale
from stdnum.kr import brn
from stdnum.mx import curp, rfc
from stdnum.us import itin

from strongroom.sensitive.catalogue import IBAN_IDS

R = random.Random
_PHONES = {
    "US": "PHONE_NUMBER", "BR": "BRAZIL_PHONE_NUMBER", "FR": "FRANCE_PHONE_NUMBER", "DE": "GERMANY_PHONE_NUMBER",
    "IT": "ITALY_PHONE_NUMBER", "ES": "SPAIN_PHONE_NUMBER", "GB": "UK_PHONE_NUMBER", "KR": "KOREA_PHONE_NUMBER",
}  # fmt: skip
Valid = Callable[[str], bool]

DIG, UP = string.digits, string.ascii_uppercase


def shape(r: R, template: str) -> str:
    """#: a digit, @: an upper-case letter, *: either; anything else is itself."""
    pick = {"#": DIG, "@": UP, "*": DIG + UP}
    return "".join(r.choice(pick[c]) if c in pick else c for c in template)


def sampled(template: str, valid: Valid) -> Callable[[R, bool], str]:
    """A value of the template's shape that the reference validator accepts (or, for a negative, rejects)."""

    def gen(r: R, ok: bool) -> str:
        for _ in range(10_000):
            v = shape(r, template)
            if valid(v) == ok:
                return v
        raise ValueError(f"no {'valid' if ok else 'invalid'} value of shape {template}")

    return gen


def _vin_ok(v: str) -> bool:
    # Published VIN algorithm (49 CFR 565), written here independently of the engine's validator.
    trans = {c: i % 10 if c.isdigit() else 0 for i, c in enumerate(DIG)}
    for letters, values in (
        ("ABCDEFGH", range(1, 9)),
        ("JKLMN", range(1, 6)),
        ("PR", (7, 9)),
        ("STUVWXYZ", range(2, 10)),
    ):
        trans |= dict(zip(letters, values, strict=True))
    weights = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
    total = sum(trans[c] * w for c, w in zip(v, weights, strict=True))
    return v[8] == ("X" if total % 11 == 10 else str(total % 11))


def _dea_ok(v: str) -> bool:
    n = [int(c) for c in v[2:]]
    return (n[0] + n[2] + n[4] + 2 * (n[1] + n[3] + n[5])) % 10 == n[6]


def _es_ssn_ok(v: str) -> bool:
    d = "".join(c for c in v if c.isdigit())
    return 1 <= int(d[:2]) <= 53 and int(d[:10]) % 97 == int(d[10:])


# Countries python-stdnum's registry copy lacks a BBAN format for (SWIFT IBAN registry).
_BBAN_EXTRA = {"SN": "2!a22!n"}


def _iban(r: R, ok: bool, cc: str) -> str:
    bban = ""
    spec = std_iban._ibandb.info(cc)[0][1].get("bban", _BBAN_EXTRA.get(cc, ""))
    for n, kind in re.findall(r"(\d+)!?([nac])", spec):
        alphabet = {"n": DIG, "a": UP, "c": DIG + UP}[kind]
        bban += "".join(r.choice(alphabet) for _ in range(int(n)))
    num = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    check = 98 - num % 97
    if not ok:
        check = (check + r.randint(1, 96)) % 97 or 1
        check = 98 - check if check > 98 else check
    raw = f"{cc}{check:02d}{bban}"
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4)) if r.random() < 0.5 else raw


def _phone(region: str) -> Callable[[R, bool], str]:
    def gen(r: R, ok: bool) -> str:
        base = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        while True:
            national = str(base.national_number)
            national = national[:-4] + shape(r, "####")
            num = phonenumbers.parse(f"+{base.country_code}{national}")
            if phonenumbers.is_valid_number(num):
                return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    return gen


@dataclass(frozen=True)
class Spec:
    id: str
    gen: Callable[[R, bool], str]  # gen(r, True): a valid value; gen(r, False): an invalid one (or None: no check)
    keywords: tuple[str, ...]
    required: bool = True  # without a keyword in reach the value is not reported
    checked: bool = True  # has a check digit, so a wrong one is a hard negative
    also: tuple[str, ...] = ()  # identifiers whose documented shape and keywords the value equally fits
    inner: Callable[[str], list[tuple[str, str]]] | None = None  # what a value reports with no keyword near
    tables: bool = False  # also placed in CSV columns though it needs no keyword (an address)


def _str(gen: Callable[[R], str]) -> Callable[[R, bool], str]:
    return lambda r, ok: gen(r)


def _curp(r: R, ok: bool) -> str:
    while True:
        body = shape(r, "@@@@") + f"{r.randint(50, 99):02d}{r.randint(1, 12):02d}{r.randint(1, 28):02d}"
        body += r.choice("HM") + r.choice(["DF", "JC", "NL", "MC", "PL"]) + shape(r, "@@@") + r.choice(DIG)
        value = body + (curp.calc_check_digit(body) if ok else r.choice(DIG))
        if curp.is_valid(value) == ok:
            return value


def _rfc_ok(v: str) -> bool:
    try:
        rfc.validate(v, validate_check_digits=True)
    except ValueError:
        return False
    return True


def _rfc(letters: int) -> Callable[[R, bool], str]:
    def gen(r: R, ok: bool) -> str:
        while True:
            body = shape(r, "@" * letters) + f"{r.randint(60, 99):02d}{r.randint(1, 12):02d}{r.randint(1, 28):02d}"
            body += shape(r, "**")
            value = body + (rfc.calc_check_digit(body) if ok else r.choice(DIG))
            if _rfc_ok(value) == ok and "X" not in value[:4]:
                return value

    return gen


def _cf(r: R, ok: bool) -> str:
    body = (
        shape(r, "@@@@@@##")
        + r.choice("ABCDEHLMPRST")
        + f"{r.randint(1, 71):02d}"
        + r.choice("ABFHZ")
        + shape(r, "###")
    )
    if body[9:11] in ("00", "32", "33", "34", "35", "36", "37", "38", "39", "40"):
        body = body[:9] + "15" + body[11:]
    check = codicefiscale.calc_check_digit(body)
    if not codicefiscale.is_valid(body + check):  # e.g. 31 June
        return _cf(r, ok)
    return body + (check if ok else r.choice([c for c in UP if c != check]))


def _calc(
    prefix: Callable[[R], str], calc: Callable[[str], str], fmt: Callable[[str], str] = str
) -> Callable[[R, bool], str]:
    def gen(r: R, ok: bool) -> str:
        body = prefix(r)
        check = calc(body)
        if not ok:
            check = "".join(r.choice([c for c in DIG if c != ch]) for ch in check)
        return fmt(body + check)

    return gen


def _priv(kind: str) -> Callable[[R, bool], str]:
    def gen(r: R, ok: bool) -> str:
        b64 = base64.b64encode(r.randbytes(180)).decode()
        lines = "\n".join(b64[i : i + 64] for i in range(0, len(b64), 64))
        if kind == "putty":
            head = "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nPrivate-Lines: 3"
            return f"{head}\n{lines}\nPrivate-MAC: {r.randbytes(20).hex()}"
        return f"-----BEGIN {kind}-----\n{lines}\n-----END {kind}-----"

    return gen


def _alnum(r: R, n: int, alphabet: str = string.ascii_letters + DIG) -> str:
    return "".join(r.choice(alphabet) for _ in range(n))


def _basic(r: R, ok: bool) -> str:
    return "Authorization: Basic " + base64.b64encode(f"user{r.randint(1, 99)}:{_alnum(r, 12)}".encode()).decode()


SPECS: tuple[Spec, ...] = (
    Spec(
        "USA_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER",
        sampled("9##-7#-####", itin.is_valid),
        ("ITIN", "individual taxpayer identification number"),
        checked=False,
    ),
    Spec("UK_NATIONAL_HEALTH_SERVICE_NUMBER", sampled("### ### ####", nhs.is_valid), ("NHS number", "NHS")),
    Spec("UK_TAX_IDENTIFICATION_NUMBER", sampled("##########", utr.is_valid), ("UTR", "unique taxpayer reference")),
    Spec(
        "CANADA_SOCIAL_INSURANCE_NUMBER",
        sampled("###-###-###", lambda v: v[0] not in "08" and sin.is_valid(v)),
        ("SIN", "social insurance number"),
    ),
    Spec(
        "FRANCE_NATIONAL_IDENTIFICATION_NUMBER",
        _calc(
            lambda r: (
                f"{r.choice('12')}{r.randint(50, 99)}{r.randint(1, 12):02d}{r.randint(1, 95):02d}" + shape(r, "######")
            ),
            nir.calc_check_digits,
        ),
        ("INSEE", "NIR"),
    ),
    Spec(
        "FRANCE_HEALTH_INSURANCE_NUMBER",
        _calc(
            lambda r: (
                f"{r.choice('12')}{r.randint(50, 99)}{r.randint(1, 12):02d}{r.randint(1, 95):02d}" + shape(r, "######")
            ),
            nir.calc_check_digits,
        ),
        ("carte vitale", "assurance maladie"),
    ),
    Spec(
        "FRANCE_TAX_IDENTIFICATION_NUMBER",
        _calc(lambda r: r.choice("0123") + shape(r, "#########"), fr_nif.calc_check_digits),
        ("numéro d'identification fiscal", "SPI"),
    ),
    Spec(
        "GERMANY_TAX_IDENTIFICATION_NUMBER",
        sampled("###########", lambda v: v[0] != "0" and idnr.is_valid(v)),
        ("Steuer ID", "Identifikationsnummer"),
    ),
    Spec(
        "SPAIN_NIE_NUMBER",
        _calc(lambda r: r.choice("XYZ") + shape(r, "#######"), nie.calc_check_digit),
        ("NIE", "número de identidad de extranjero"),
        checked=False,
    ),
    Spec(
        "SPAIN_DRIVERS_LICENSE",
        _calc(lambda r: shape(r, "########"), dni.calc_check_digit),
        ("permiso de conducir", "carnet de conducir"),
    ),
    Spec("SPAIN_NIF_NUMBER", sampled("K#######@", nif.is_valid), ("NIF", "número de identificación fiscal")),
    Spec(
        "SPAIN_TAX_IDENTIFICATION_NUMBER",
        _calc(lambda r: r.choice("ABEH") + shape(r, "#######"), lambda b: cif.calc_check_digits(b)[0]),
        ("CIF", "número de impuesto corporativo"),
    ),
    Spec("ITALY_NATIONAL_IDENTIFICATION_NUMBER", _cf, ("codice fiscale", "tessera sanitaria")),
    Spec(
        "INDIA_PERMANENT_ACCOUNT_NUMBER",
        sampled("@@@P@####@", pan.is_valid),
        ("PAN card", "permanent account number"),
        checked=False,
    ),
    Spec(
        "BRAZIL_CNPJ_NUMBER",
        _calc(lambda r: shape(r, "########0001"), cnpj.calc_check_digits, cnpj.format),
        ("CNPJ", "cadastro nacional da pessoa jurídica"),
    ),
    Spec(
        "CHILE_RUT_NUMBER",
        _calc(lambda r: str(r.randint(5_000_000, 25_000_000)), rut.calc_check_digit, rut.format),
        ("RUT", "rol único tributario"),
    ),
    Spec(
        "ARGENTINA_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER",
        _calc(lambda r: r.choice(["20", "27"]) + shape(r, "########"), cuit.calc_check_digit, cuit.format),
        ("CUIL", "argentina taxpayer id"),
    ),
    Spec(
        "ARGENTINA_ORGANIZATION_TAX_IDENTIFICATION_NUMBER",
        _calc(lambda r: r.choice(["30", "33"]) + shape(r, "########"), cuit.calc_check_digit, cuit.format),
        ("clave única de identificación tributaria", "número de contribuyente"),
    ),
    Spec(
        "COLOMBIA_INDIVIDUAL_NIT_NUMBER",
        _calc(lambda r: str(r.randint(1, 7)) + shape(r, "########"), nit.calc_check_digit, nit.format),
        ("NIT", "N.I.T."),
    ),
    Spec(
        "COLOMBIA_ORGANIZATION_NIT_NUMBER",
        _calc(lambda r: r.choice("89") + shape(r, "########"), nit.calc_check_digit, nit.format),
        ("NIT", "N.I.T."),
    ),
    Spec("MEXICO_CURP_NUMBER", _curp, ("CURP", "clave única de registro de población")),
    Spec("MEXICO_INDIVIDUAL_RFC_NUMBER", _rfc(4), ("RFC", "registro federal de contribuyentes"), checked=False),
    Spec("MEXICO_ORGANIZATION_RFC_NUMBER", _rfc(3), ("RFC", "registro federal de contribuyentes"), checked=False),
    Spec("AUSTRALIA_TAX_FILE_NUMBER", sampled("### ### ###", tfn.is_valid), ("TFN", "tax file number")),
    Spec(
        "VEHICLE_IDENTIFICATION_NUMBER",
        sampled("1**@@##*#**######".replace("@", "A"), lambda v: not any(c in "IOQ" for c in v) and _vin_ok(v)),
        ("VIN", "vehicle identification number"),
    ),
    Spec(
        "USA_NATIONAL_PROVIDER_IDENTIFIER",
        sampled("1#########", lambda v: luhn.is_valid("80840" + v)),
        ("NPI", "national provider identifier"),
    ),
    Spec(
        "USA_DRUG_ENFORCEMENT_AGENCY_NUMBER",
        sampled("A@#######".replace("A", "B"), _dea_ok),
        ("DEA number", "DEA registration"),
    ),
    Spec(
        "SPAIN_SOCIAL_SECURITY_NUMBER",
        _calc(lambda r: f"{r.randint(1, 53):02d}" + shape(r, "########"), lambda b: f"{int(b) % 97:02d}"),
        ("número de la seguridad social", "seguridad social"),
    ),
    Spec(
        "ARGENTINA_TARJETA_SUBE",
        _calc(lambda r: "6061" + shape(r, "###########"), luhn.calc_check_digit),
        ("SUBE", "sistema único de boleto electrónico"),
    ),
    Spec(
        "KOREA_BUSINESS_REGISTRATION_NUMBER",
        sampled("###-##-#####", lambda v: brn.is_valid(v)),
        ("사업자등록번호", "business registration number"),
    ),
    # No check digit: the keyword decides, and a value without one is the hard negative.
    Spec(
        "UK_NATIONAL_INSURANCE_NUMBER",
        _str(lambda r: r.choice(["AB", "JG", "PR", "SK", "WX"]) + shape(r, " ## ## ## ") + r.choice("ABCD")),
        ("national insurance number", "NINO"),
        checked=False,
    ),
    Spec("USA_PASSPORT_NUMBER", _str(lambda r: shape(r, "#########")), ("passport", "travel document"), checked=False),
    Spec(
        "UK_PASSPORT_NUMBER",
        _str(lambda r: shape(r, "#########")),
        ("UK passport", "passport number"),
        checked=False,
        also=("USA_PASSPORT_NUMBER",),
    ),
    Spec("CANADA_PASSPORT_NUMBER", _str(lambda r: shape(r, "@@######")), ("passeport", "passeport#"), checked=False),
    Spec(
        "FRANCE_PASSPORT_NUMBER",
        _str(lambda r: shape(r, "##@@#####")),
        ("numéro de passeport", "passeport"),
        checked=False,
    ),
    Spec(
        "GERMANY_PASSPORT_NUMBER",
        _str(lambda r: r.choice("CFGHJK") + "".join(r.choice("CFGHJKLMNPRTVWXYZ0123456789") for _ in range(8))),
        ("Reisepass", "Reisepassnummer"),
        checked=False,
    ),
    Spec(
        "ITALY_PASSPORT_NUMBER",
        _str(lambda r: shape(r, "@@#######")),
        ("passaporto", "passaporto numero"),
        checked=False,
    ),
    Spec(
        "SPAIN_PASSPORT_NUMBER", _str(lambda r: shape(r, "@@@######")), ("pasaporte", "número pasaporte"), checked=False
    ),
    Spec("KOREA_PASSPORT_NUMBER", _str(lambda r: "M" + shape(r, "########")), ("여권번호", "여권"), checked=False),
    Spec("DRIVERS_LICENSE", _str(lambda r: shape(r, "@#######")), ("driver's license", "DL#"), checked=False),
    Spec(
        "UK_DRIVERS_LICENSE",
        _str(
            lambda r: (
                shape(r, "@@@@@")
                + f"{r.randint(5, 9)}{r.choice('0156')}{r.randint(1, 9)}"  # decade, month (+50: female)
                + f"{r.randint(0, 2)}{r.randint(1, 9)}{r.randint(0, 9)}"  # day, year
                + shape(r, "@@#@@")
            )
        ),
        ("driving licence", "driver's licence"),
        checked=False,
    ),
    Spec(
        "ITALY_DRIVERS_LICENSE",
        _str(lambda r: shape(r, "@@#######@")),
        ("patente di guida", "patente guida numero"),
        checked=False,
    ),
    Spec(
        "INDIA_DRIVERS_LICENSE",
        _str(lambda r: shape(r, "@@-##") + f" {r.randint(1990, 2020)}" + shape(r, "#######")),
        ("driver's license", "DL#"),
        checked=False,
    ),
    Spec(
        "CANADA_DRIVERS_LICENSE",
        _str(lambda r: shape(r, "@####-#####-#####")),
        ("driver's licence", "DL#"),
        checked=False,
    ),
    Spec(
        "GERMANY_DRIVERS_LICENSE",
        _str(lambda r: shape(r, "@##@@@@@@#@")),
        ("Führerschein", "Führerscheinnummer"),
        checked=False,
    ),
    Spec(
        "KOREA_DRIVERS_LICENSE",
        _str(lambda r: f"{r.randint(11, 28)}-" + shape(r, "##-######-##")),
        ("운전면허번호", "운전면허"),
        checked=False,
    ),
    Spec(
        "BANK_ACCOUNT_NUMBER",
        _str(lambda r: str(r.randint(1, 9)) + shape(r, "#" * r.randint(9, 13))),
        ("bank account", "checking account"),
        checked=False,
    ),
    Spec("BRAZIL_CEP_CODE", _str(lambda r: shape(r, "#####-###")), ("CEP", "código postal"), checked=False),
    Spec(
        "LATITUDE_LONGITUDE",
        _str(lambda r: f"{r.uniform(-80, 80):.5f}, {r.uniform(-170, 170):.5f}"),
        ("coordinates", "GPS"),
        checked=False,
    ),
    Spec(
        "USA_MEDICARE_BENEFICIARY_IDENTIFIER",
        _str(lambda r: f"{r.randint(1, 9)}EG4-TE5-MK{r.randint(10, 99)}"),
        ("MBI", "medicare number"),
        checked=False,
    ),
    Spec(
        "USA_NATIONAL_DRUG_CODE",
        _str(lambda r: shape(r, "#####-####-##")),
        ("NDC", "national drug code"),
        checked=False,
    ),
    Spec(
        "USA_HEALTHCARE_PROCEDURE_CODE",
        _str(lambda r: r.choice("ABEGJ") + shape(r, "####")),
        ("HCPCS", "procedure code"),
        checked=False,
    ),
    Spec(
        "CREDIT_CARD_MAGNETIC_STRIPE",
        _str(
            lambda r: (
                "%B"
                + _calc(lambda q: "4" + shape(q, "##############"), luhn.calc_check_digit)(r, True)
                + "^DOE/JANE^2712101"
                + shape(r, "#########")
                + "?"
            )
        ),
        ("track", "magstripe"),
        checked=False,
        # No no-keyword negative: a bare track's PAN (after "%B") and Luhn-valid discretionary digits are open
        # questions for the card identifiers (docs/benchmarks.md notes).
        required=False,
    ),
    # Identifiers that need no keyword: the hard negative is the look-alike (a wrong checksum where there is one).
    Spec(
        "GCP_API_KEY",
        _str(lambda r: "AIza" + _alnum(r, 35, string.ascii_letters + DIG + "_-")),
        ("api_key",),
        required=False,
        checked=False,
    ),
    Spec("HTTP_BASIC_AUTH_HEADER", _basic, ("",), required=False, checked=False),
    Spec("OPENSSH_PRIVATE_KEY", _priv("OPENSSH PRIVATE KEY"), ("key",), required=False, checked=False),
    Spec("PGP_PRIVATE_KEY", _priv("PGP PRIVATE KEY BLOCK"), ("key",), required=False, checked=False),
    Spec("PKCS", _priv("RSA PRIVATE KEY"), ("key",), required=False, checked=False),
    Spec("PUTTY_PRIVATE_KEY", _priv("putty"), ("key",), required=False, checked=False),
    Spec(
        "SLACK_TOKEN",
        _str(lambda r: f"xoxb-{shape(r, '##########')}-{shape(r, '############')}-{_alnum(r, 24)}"),
        ("slack",),
        required=False,
        checked=False,
    ),
    Spec(
        "OPENAI_API_KEY",
        _str(lambda r: "sk-proj-" + _alnum(r, 20) + "T3BlbkFJ" + _alnum(r, 20)),
        ("openai",),
        required=False,
        checked=False,
    ),
    Spec(
        "URL_BASIC_AUTH_CREDENTIALS",
        _str(lambda r: f"https://svc{r.randint(1, 99)}:{_alnum(r, 14)}@db.example.com"),
        ("dsn",),
        required=False,
        checked=False,
    ),
    Spec(
        "HTTP_COOKIE",
        _str(lambda r: f"Cookie: session={_alnum(r, 24)}; theme=dark"),
        ("",),
        required=False,
        checked=False,
    ),
    Spec(
        "CREDIT_CARD_NUMBER_(NO_KEYWORD)",
        _calc(lambda r: "4" + shape(r, "##############"), luhn.calc_check_digit),
        ("ref",),
        required=False,
    ),
    *(
        Spec(ident, _phone(region), ("phone", "mobile"), required=False, checked=False)
        for region, ident in _PHONES.items()
    ),
    *(
        Spec(ident, functools.partial(_iban, cc=cc), ("IBAN", "account number"), required=False)
        for cc, ident in IBAN_IDS.items()
        if "bban" in std_iban._ibandb.info(cc)[0][1] or cc in _BBAN_EXTRA
    ),
)


_FILLER = (
    "The review covered onboarding, billing disputes and the migration plan for the next quarter. ",
    "Agents noted that most tickets were resolved within two business days of being opened. ",
    "We will follow up with the vendor about the delayed shipment before the end of the month. ",
)
_NO_KW = ("Item {} was archived with the rest of the batch.", "Attached file lists {} among other entries.")


def _wrong(spec: Spec, r: R) -> tuple[str, list[tuple[str, str]]] | None:
    """A hard negative for the spec: a wrong check digit beside the keyword, or a valid value with no keyword."""
    if spec.checked and r.random() < 0.5:
        return f"{r.choice(spec.keywords).capitalize()}: {spec.gen(r, False)} (rejected, typo).", []
    if spec.required:
        v = spec.gen(r, True)
        return r.choice(_NO_KW).format(v), spec.inner(v) if spec.inner else []
    return None


def id_prose(r: R, i: int, specs: tuple[Spec, ...] = SPECS) -> tuple[str, str, list[tuple[str, str]]]:
    parts: list[str] = []
    labels: list[tuple[str, str]] = []
    for spec in r.sample(specs, 8):
        if r.random() < 0.3 and (neg := _wrong(spec, r)) is not None:
            parts.append(neg[0])
            labels += neg[1]
        else:
            v = spec.gen(r, True)
            kw = r.choice(spec.keywords)
            parts.append((f"{kw.capitalize()}: {v}" if kw else v) + ("\n" if "\n" in v else "."))
            labels += [(ident, v) for ident in (spec.id, *spec.also)]
        parts.append(r.choice(_FILLER))
    return f"ids-{i}.txt", "\n".join(parts), labels


def id_csv(r: R, i: int, specs: tuple[Spec, ...] = SPECS) -> tuple[str, str, list[tuple[str, str]]]:
    chosen = [s for s in r.sample(specs, 4) if (s.required or s.tables) and "\n" not in s.gen(r, True)]
    cols = [r.choice(s.keywords) for s in chosen]
    rows = ["row," + ",".join(f'"{c}"' if "," in c else c for c in cols) + ",note"]
    labels: list[tuple[str, str]] = []
    for n in range(r.randint(3, 8)):
        values = [s.gen(r, True) for s in chosen]
        labels += [(ident, v) for s, v in zip(chosen, values, strict=True) for ident in (s.id, *s.also)]
        rows.append(f"{n}," + ",".join(f'"{v}"' if "," in v else v for v in values) + ",ok")
    return f"ids-{i}.csv", "\n".join(rows), labels


def id_json(r: R, i: int, specs: tuple[Spec, ...] = SPECS) -> tuple[str, str, list[tuple[str, str]]]:
    records = []
    labels: list[tuple[str, str]] = []
    for _ in range(r.randint(2, 5)):
        rec: dict[str, object] = {"status": "active"}
        for spec in r.sample(specs, 3):
            v = spec.gen(r, True)
            person = rec.setdefault("person", {})
            key = r.choice(spec.keywords)
            if not key or key in person:  # a header line is not a field's value; one value per field name
                continue
            person[key] = v  # type: ignore[index]
            labels += [(ident, v) for ident in (spec.id, *spec.also)]
        records.append(rec)
    return f"ids-{i}.json", json.dumps({"records": records}, indent=1, ensure_ascii=False), labels
