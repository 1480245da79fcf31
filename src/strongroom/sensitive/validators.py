"""Check digits and structure: what turns a pattern's candidate into a detection. Each takes the matched text and
answers whether it is the real thing (python-stdnum where it has the algorithm, ours where it does not)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from stdnum import luhn
from stdnum.ar import cuit as ar_cuit
from stdnum.au import tfn as au_tfn
from stdnum.br import cnpj as br_cnpj
from stdnum.br import cpf as br_cpf
from stdnum.ca import sin as ca_sin
from stdnum.cl import rut as cl_rut
from stdnum.co import nit as co_nit
from stdnum.de import idnr as de_idnr
from stdnum.es import cif as es_cif
from stdnum.es import dni as es_dni
from stdnum.es import nie as es_nie
from stdnum.es import nif as es_nif
from stdnum.fr import nif as fr_nif
from stdnum.fr import nir as fr_nir
from stdnum.gb import nhs as gb_nhs
from stdnum.gb import utr as gb_utr
from stdnum.in_ import aadhaar as in_aadhaar
from stdnum.in_ import pan as in_pan
from stdnum.it import codicefiscale as it_cf
from stdnum.kr import brn as kr_brn
from stdnum.mx import curp as mx_curp
from stdnum.mx import rfc as mx_rfc
from stdnum.us import itin as us_itin
from stdnum.us import ssn as us_ssn

Check = Callable[[str], bool]


def digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def _stdnum(mod: Any) -> Check:
    def check(s: str) -> bool:
        try:
            return bool(mod.is_valid(s))
        except Exception:  # stdnum raises on shapes it cannot read: not a valid number either way
            return False

    return check


def not_all_same(s: str) -> bool:
    """All-zero (or all-one-digit) sequences are examples, not data (AWS skips 000000000 and 99999999)."""
    d = digits(s)
    return len(set(d)) > 1


# AWS's documented list of issuer test numbers it never reports (card numbers published for testing).
CARD_TEST_NUMBERS = frozenset(
    [
        "122000000000003",
        "2222405343248877",
        "2222990905257051",
        "2223007648726984",
        "2223577120017656",
        "30569309025904",
        "34343434343434",
        "3528000700000000",
        "3530111333300000",
        "3566002020360505",
        "36148900647913",
        "36700102000000",
        "371449635398431",
        "378282246310005",
        "378734493671000",
        "38520000023237",
        "4012888888881881",
        "4111111111111111",
        "4222222222222",
        "4444333322221111",
        "4462030000000000",
        "4484070000000000",
        "4911830000000",
        "4917300800000000",
        "4917610000000000",
        "4917610000000000003",
        "5019717010103742",
        "5105105105105100",
        "5111010030175156",
        "5185540810000019",
        "5200828282828210",
        "5204230080000017",
        "5204740009900014",
        "5420923878724339",
        "5454545454545454",
        "5455330760000018",
        "5506900490000436",
        "5506900490000444",
        "5506900510000234",
        "5506920809243667",
        "5506922400634930",
        "5506927427317625",
        "5553042241984105",
        "5555553753048194",
        "5555555555554444",
        "5610591081018250",
        "6011000990139424",
        "6011000400000000",
        "6011111111111117",
        "630490017740292441",
        "630495060000000000",
        "6331101999990016",
        "6759649826438453",
        "6799990100000000019",
        "76009244561",
    ]
)

# (prefix range low, high, lengths): the networks AWS names (Amex, Dankort, Diners, Discover, Electron, JCB,
# Mastercard, UnionPay, Visa).
_ISSUERS: tuple[tuple[int, int, frozenset[int]], ...] = (
    (34, 34, frozenset({15})),
    (37, 37, frozenset({15})),
    (4, 4, frozenset({13, 16, 19})),
    (51, 55, frozenset({16})),
    (2221, 2720, frozenset({16})),
    (6011, 6011, frozenset({16, 17, 18, 19})),
    (644, 649, frozenset({16, 17, 18, 19})),
    (65, 65, frozenset({16, 17, 18, 19})),
    (3528, 3589, frozenset({16, 17, 18, 19})),
    (300, 305, frozenset({14, 15, 16, 17, 18, 19})),
    (36, 36, frozenset({14, 15, 16, 17, 18, 19})),
    (38, 39, frozenset({14, 15, 16, 17, 18, 19})),
    (62, 62, frozenset({16, 17, 18, 19})),
    (5019, 5019, frozenset({16})),
)


def card_number(s: str) -> bool:
    d = digits(s)
    if not 13 <= len(d) <= 19 or d in CARD_TEST_NUMBERS or not luhn.is_valid(d):
        return False
    for lo, hi, lengths in _ISSUERS:
        width = len(str(lo))
        if lo <= int(d[:width]) <= hi and len(d) in lengths:
            return not_all_same(d)
    return False


def iban(s: str) -> bool:
    compact = "".join(c for c in s if c.isalnum()).upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1
    except ValueError:
        return False


def aws_secret(s: str) -> bool:
    """40 characters of base64 with the mix a generated key has (not a path, a hash in hex, or a word run)."""
    has = (any(c.islower() for c in s), any(c.isupper() for c in s), any(c.isdigit() for c in s))
    return all(has) and not all(c in "0123456789abcdefABCDEF" for c in s)


def _b64json(part: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, binascii.Error):
        return None


def jwt(s: str) -> bool:
    parts = s.split(".")
    header = _b64json(parts[0]) if len(parts) == 3 else None
    return isinstance(header, dict) and "alg" in header and isinstance(_b64json(parts[1]), dict)


def basic_auth(s: str) -> bool:
    token = s.split()[-1]
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return False
    return ":" in decoded and decoded.isprintable()


def url_credentials(s: str) -> bool:
    userinfo = s.split("://", 1)[1].split("@", 1)[0]
    user, _, password = userinfo.partition(":")
    placeholders = ("${", "{{", "<", "%s", "***", "xxx")
    return bool(user and password) and not any(p in password.lower() for p in placeholders)


def us_ssn_check(s: str) -> bool:
    d = digits(s)
    return len(d) == 9 and us_ssn.is_valid(d) and d not in {"078051120", "219099999", "123456789"}


def vin(s: str) -> bool:
    s = s.upper()
    if len(s) != 17 or any(c in "IOQ" for c in s):
        return False
    values = {**{str(i): i for i in range(10)}, **dict(zip("ABCDEFGH", range(1, 9), strict=True))}
    values |= dict(zip("JKLMNPR", (1, 2, 3, 4, 5, 7, 9), strict=True)) | dict(
        zip("STUVWXYZ", range(2, 10), strict=True)
    )
    weights = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
    total = sum(values[c] * w for c, w in zip(s, weights, strict=True))
    check = "X" if total % 11 == 10 else str(total % 11)
    # The check digit is mandatory in North America; elsewhere position 9 is often not one, so accept well-formed.
    return s[8] == check or s[0] in "JKLMNPRSTUVWXYZ"


def uk_nino(s: str) -> bool:
    c = "".join(s.split()).upper()
    bad_prefix = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}
    return len(c) in (8, 9) and c[0] not in "DFIQUV" and c[1] not in "DFIOQUV" and c[:2] not in bad_prefix


def kr_rrn(s: str) -> bool:
    """Korean resident registration number YYMMDD-SXXXXXX: a real birth date and gender/century digit; the mod-11
    check digit for numbers issued before October 2020 (later ones are random and need a keyword: rules.py)."""
    d = digits(s)
    if len(d) != 13 or d[6] not in "1234567890":
        return False
    century = {
        "9": 1800,
        "0": 1800,
        "1": 1900,
        "2": 1900,
        "5": 1900,
        "6": 1900,
        "3": 2000,
        "4": 2000,
        "7": 2000,
        "8": 2000,
    }
    try:
        dt.date(century[d[6]] + int(d[:2]), int(d[2:4]), int(d[4:6]))
    except ValueError:
        return False
    return True


def kr_rrn_checksum(s: str) -> bool:
    d = digits(s)
    total = sum(int(a) * w for a, w in zip(d[:12], (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5), strict=True))
    return (11 - total % 11) % 10 == int(d[12])


def date_like(s: str) -> bool:
    """A calendar date in one of the orders people write (year plausible for a birth date)."""
    parts = [p for p in "".join(c if c.isalnum() else " " for c in s).split() if p]
    nums = [int(p) for p in parts if p.isdigit()]
    return 2 <= len(parts) <= 3 and (len(nums) < len(parts) or any(n > 31 or n < 100 for n in nums))


def us_npi(s: str) -> bool:
    """National Provider Identifier: Luhn over the digits prefixed with 80840 (the NPI's issuer prefix)."""
    d = digits(s)
    return len(d) == 10 and d[0] in "12" and luhn.is_valid("80840" + d)


def us_dea(s: str) -> bool:
    """DEA registration: two letters, seven digits; (d1+d3+d5) + 2*(d2+d4+d6) ends in d7."""
    d = digits(s)
    if len(d) != 7 or not s[:2].isalpha():
        return False
    n = [int(c) for c in d]
    return (n[0] + n[2] + n[4] + 2 * (n[1] + n[3] + n[5])) % 10 == n[6]


def es_ssn(s: str) -> bool:
    """Spanish social security number: province (2) + number (8) + control (2) = the first ten digits mod 97."""
    d = digits(s)
    return len(d) == 12 and 1 <= int(d[:2]) <= 53 and int(d[:10]) % 97 == int(d[10:])


def sube(s: str) -> bool:
    d = digits(s)
    return len(d) == 16 and d.startswith("6061") and luhn.is_valid(d)


CHECKS: dict[str, Check] = {
    "luhn": lambda s: luhn.is_valid(digits(s)),
    "card": card_number,
    "iban": iban,
    "aws_secret": aws_secret,
    "jwt": jwt,
    "basic_auth": basic_auth,
    "url_credentials": url_credentials,
    "us_ssn": us_ssn_check,
    "us_itin": _stdnum(us_itin),
    "ca_sin": _stdnum(ca_sin),
    "fr_nir": _stdnum(fr_nir),
    "fr_nif": _stdnum(fr_nif),
    "de_idnr": _stdnum(de_idnr),
    "es_dni": _stdnum(es_dni),
    "es_nie": _stdnum(es_nie),
    "es_nif": _stdnum(es_nif),  # DNI, NIE, CIF and the K/L/M forms (Spaniards under 14, abroad, foreigners)
    "es_cif": _stdnum(es_cif),
    "it_cf": _stdnum(it_cf),
    "in_aadhaar": _stdnum(in_aadhaar),
    "in_pan": _stdnum(in_pan),
    "br_cpf": _stdnum(br_cpf),
    "br_cnpj": _stdnum(br_cnpj),
    "cl_rut": _stdnum(cl_rut),
    "ar_cuit": _stdnum(ar_cuit),
    "co_nit": _stdnum(co_nit),
    "mx_curp": _stdnum(mx_curp),
    "mx_rfc": lambda s: s.upper() not in {"XAXX010101000", "XEXX010101000"} and _stdnum(mx_rfc)(s),
    "au_tfn": _stdnum(au_tfn),
    "gb_nhs": _stdnum(gb_nhs),
    "gb_utr": _stdnum(gb_utr),
    "kr_brn": _stdnum(kr_brn),
    "kr_rrn": kr_rrn,
    "vin": vin,
    "uk_nino": uk_nino,
    "not_all_same": not_all_same,
    "us_npi": us_npi,
    "us_dea": us_dea,
    "es_ssn": es_ssn,
    "sube": sube,
    "date": date_like,
}
