"""A seeded, labelled corpus for Macie's engine: realistic documents (support tickets in prose, CSV exports,
JSON API payloads) with sensitive values embedded, and hard negatives that look like them (order numbers, UUIDs,
Luhn-valid numbers that are not cards — IMEIs, loyalty and gift-card references outside issuer ranges —
timestamps, hashes, versions). Each document carries its labels: the (identifier, value) pairs a correct engine
reports. Values are generated valid (check digits computed), never copied from anywhere."""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from stdnum import luhn, verhoeff
from stdnum.br import cpf
from stdnum.es import dni

from bench import macie_corpus_ids, macie_corpus_intl

Label = tuple[str, str]


@dataclass
class Doc:
    name: str
    body: bytes
    labels: list[Label] = field(default_factory=list)


def _digits(r: random.Random, n: int) -> str:
    return "".join(r.choice(string.digits) for _ in range(n))


def card(r: random.Random) -> str:
    prefix, length = r.choice([("4", 16), ("51", 16), ("55", 16), ("37", 15), ("6011", 16), ("2221", 16), ("3530", 16)])
    body = prefix + _digits(r, length - len(prefix) - 1)
    return body + luhn.calc_check_digit(body)


def fmt_card(r: random.Random, n: str) -> str:
    style = r.choice(["plain", "space", "dash"])
    if style == "plain" or len(n) != 16:
        return n
    sep = " " if style == "space" else "-"
    return sep.join(n[i : i + 4] for i in range(0, 16, 4))


def luhn_non_card(r: random.Random) -> str:
    # Luhn-valid, but no issuer uses the prefix (IMEIs are 15 digits starting 35/86; references starting 7/8/9).
    imei = r.random() < 0.5
    body = r.choice(["35", "86", "01"]) + _digits(r, 12) if imei else r.choice("789") + _digits(r, 14)
    return body + luhn.calc_check_digit(body)


def ssn(r: random.Random) -> str:
    area = r.choice([n for n in range(1, 900) if n != 666])
    return f"{area:03d}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"


def iban(r: random.Random) -> str:
    cc, bban = r.choice(
        [
            ("GB", "".join(r.choice(string.ascii_uppercase) for _ in range(4)) + _digits(r, 14)),
            ("DE", _digits(r, 18)),
            ("FR", _digits(r, 23)),
            ("ES", _digits(r, 20)),
            ("NL", "".join(r.choice(string.ascii_uppercase) for _ in range(4)) + _digits(r, 10)),
        ]
    )
    num = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    check = 98 - num % 97
    raw = f"{cc}{check:02d}{bban}"
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4)) if r.random() < 0.5 else raw


def email(r: random.Random) -> str:
    first = r.choice(["ana", "li.wei", "j.smith", "maria_g", "olu", "k.tanaka", "p.nowak", "sam"])
    return f"{first}{r.randint(1, 999)}@{r.choice(['example.com', 'mail.example.org', 'corp.example.net'])}"


def us_phone(r: random.Random) -> str:
    area = r.choice(["415", "212", "646", "312", "206", "617", "303", "512"])
    n = f"{r.randint(2, 9)}{_digits(r, 2)}"
    return r.choice([f"+1 {area} {n} {_digits(r, 4)}", f"({area}) {n}-{_digits(r, 4)}", f"{area}-{n}-{_digits(r, 4)}"])


def uk_phone(r: random.Random) -> str:
    return f"+44 20 7{_digits(r, 3)} {_digits(r, 4)}"


def kr_phone(r: random.Random) -> str:
    return f"010-{r.randint(2000, 9999)}-{_digits(r, 4)}"


def kr_rrn(r: random.Random) -> str:
    yy, mm, dd = r.randint(60, 99), r.randint(1, 12), r.randint(1, 28)
    front = f"{yy:02d}{mm:02d}{dd:02d}{r.choice('12')}{_digits(r, 5)}"
    total = sum(int(a) * w for a, w in zip(front, (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5), strict=True))
    return f"{front[:6]}-{front[6:]}{(11 - total % 11) % 10}"


def aadhaar(r: random.Random) -> str:
    body = str(r.randint(2, 9)) + _digits(r, 10)
    n = body + verhoeff.calc_check_digit(body)
    return f"{n[:4]} {n[4:8]} {n[8:]}"


def br_cpf(r: random.Random) -> str:
    body = _digits(r, 9)
    return cpf.format(body + cpf._calc_check_digits(body))


def es_dni(r: random.Random) -> str:
    body = _digits(r, 8)
    return body + dni.calc_check_digit(body)


def aws_pair(r: random.Random) -> tuple[str, str]:
    alphabet = string.ascii_letters + string.digits + "/+"
    while True:
        secret = "".join(r.choice(alphabet) for _ in range(40))
        if any(c.isdigit() for c in secret) and any(c.isupper() for c in secret) and any(c.islower() for c in secret):
            break
    return "AKIA" + "".join(r.choice(string.ascii_uppercase + "234567") for _ in range(16)), secret


def jwt(r: random.Random) -> str:
    def seg(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    sig = base64.urlsafe_b64encode(r.randbytes(32)).rstrip(b"=").decode()
    return f"{seg({'alg': 'HS256', 'typ': 'JWT'})}.{seg({'sub': str(r.randint(1, 10**6)), 'iat': 1700000000})}.{sig}"


def github(r: random.Random) -> str:
    return "ghp_" + "".join(r.choice(string.ascii_letters + string.digits) for _ in range(36))


def stripe(r: random.Random) -> str:
    return "sk_live_" + "".join(r.choice(string.ascii_letters + string.digits) for _ in range(24))


def dob(r: random.Random) -> str:
    y, m, d = r.randint(1940, 2005), r.randint(1, 12), r.randint(1, 28)
    return r.choice([f"{m:02d}/{d:02d}/{y}", f"{y}-{m:02d}-{d:02d}", f"{d} March {y}"])


def ip(r: random.Random) -> str:
    return f"{r.choice([10, 172, 192, 52, 34, 203])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"


# -- hard negatives


def negatives(r: random.Random) -> str:
    uuid = "-".join("".join(r.choice("0123456789abcdef") for _ in range(n)) for n in (8, 4, 4, 4, 12))
    options = [
        f"Order #{_digits(r, 9)} shipped",
        f"request id {uuid}",
        f"IMEI {luhn_non_card(r)} registered",
        f"gift card ref {luhn_non_card(r)}",
        f"at 2024-0{r.randint(1, 9)}-{r.randint(10, 28)}T{r.randint(10, 23)}:{r.randint(10, 59)}:07Z",
        f"epoch {r.randint(1600000000000, 1800000000000)}",
        f"sha1 {''.join(r.choice('0123456789abcdef') for _ in range(40))}",
        f"version {r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 99)}",
        f"invoice total ${r.randint(10, 9999)}.{_digits(r, 2)}",
        f"tracking {_digits(r, 12)}",
        f"zip {_digits(r, 5)}",
    ]
    return r.choice(options)


# -- documents

Gen = Callable[[random.Random], tuple[str, list[Label]]]


def _prose_snippets() -> list[Gen]:
    def card_kw(r: random.Random) -> tuple[str, list[Label]]:
        n = card(r)
        return f"Customer paid with Visa card {fmt_card(r, n)} last week.", [("CREDIT_CARD_NUMBER", n)]

    def card_full(r: random.Random) -> tuple[str, list[Label]]:
        n, cvv = card(r), _digits(r, 3)
        exp = f"{r.randint(1, 12):02d}/{r.randint(26, 31)}"
        text = f"Credit card: {fmt_card(r, n)}, expiry {exp}, CVV {cvv}."
        return text, [("CREDIT_CARD_NUMBER", n), ("CREDIT_CARD_EXPIRATION", exp), ("CREDIT_CARD_SECURITY_CODE", cvv)]

    def ssn_kw(r: random.Random) -> tuple[str, list[Label]]:
        s = ssn(r)
        return f"Applicant SSN: {s} was verified by the clerk.", [("USA_SOCIAL_SECURITY_NUMBER", s)]

    def contact(r: random.Random) -> tuple[str, list[Label]]:
        e, p = email(r), us_phone(r)
        return f"Please reach her at {e} or phone {p} after 5pm.", [("EMAIL_ADDRESS", e), ("PHONE_NUMBER", p)]

    def uk(r: random.Random) -> tuple[str, list[Label]]:
        p, i = uk_phone(r), iban(r)
        ident = "UK_BANK_ACCOUNT_NUMBER"
        ident = {
            "GB": "UK_BANK_ACCOUNT_NUMBER",
            "DE": "GERMANY_BANK_ACCOUNT_NUMBER",
            "FR": "FRANCE_BANK_ACCOUNT_NUMBER",
            "ES": "SPAIN_BANK_ACCOUNT_NUMBER",
            "NL": "NETHERLANDS_BANK_ACCOUNT_NUMBER",
        }[i[:2]]
        return f"Refund to IBAN {i}; the office line is {p}.", [(ident, i), ("UK_PHONE_NUMBER", p)]

    def aws(r: random.Random) -> tuple[str, list[Label]]:
        kid, secret = aws_pair(r)
        text = f"[default]\naws_access_key_id = {kid}\naws_secret_access_key = {secret}\nregion = us-east-1"
        return text, [("AWS_CREDENTIALS", secret)]

    def tokens(r: random.Random) -> tuple[str, list[Label]]:
        j, g, s = jwt(r), github(r), stripe(r)
        text = f"Authorization: Bearer {j}\nGITHUB_TOKEN={g}\nSTRIPE_KEY={s}"
        return text, [("JSON_WEB_TOKEN", j), ("GITHUB_TOKEN", g), ("STRIPE_CREDENTIALS", s)]

    def birth(r: random.Random) -> tuple[str, list[Label]]:
        d = dob(r)
        return f"Patient date of birth: {d}, admitted on 2024-02-11.", [("DATE_OF_BIRTH", d)]

    def korean(r: random.Random) -> tuple[str, list[Label]]:
        n, p = kr_rrn(r), kr_phone(r)
        return f"고객 주민등록번호 {n}, 휴대폰 {p} 로 연락 바랍니다.", [
            ("KOREA_RESIDENT_REGISTRATION_NUMBER", n),
            ("KOREA_PHONE_NUMBER", p),
        ]

    def ids(r: random.Random) -> tuple[str, list[Label]]:
        a, c, d = aadhaar(r), br_cpf(r), es_dni(r)
        text = f"KYC: Aadhaar {a}; CPF {c}; DNI {d}."
        return text, [("INDIA_AADHAAR_NUMBER", a), ("BRAZIL_CPF_NUMBER", c), ("SPAIN_DNI_NUMBER", d)]

    def net(r: random.Random) -> tuple[str, list[Label]]:
        a = ip(r)
        return f"Login from {a} was blocked.", [("IP_ADDRESS", a)]

    def neg(r: random.Random) -> tuple[str, list[Label]]:
        return negatives(r) + ".", []

    return [card_kw, card_full, ssn_kw, contact, uk, aws, tokens, birth, korean, ids, net, neg, neg, neg]


_FILLER = (
    "The quarterly review covered onboarding, billing disputes and the migration plan. "
    "Agents noted that most tickets were resolved within two business days. "
    "We will follow up with the vendor about the delayed shipment. "
)


def prose_doc(r: random.Random, i: int) -> Doc:
    gens = _prose_snippets()
    parts, labels = [], []
    for _ in range(r.randint(4, 9)):
        text, lab = r.choice(gens)(r)
        parts.append(text)
        labels += lab
        parts.append(_FILLER[: r.randint(40, len(_FILLER))])
    return Doc(f"ticket-{i}.txt", "\n".join(parts).encode(), labels)


def csv_doc(r: random.Random, i: int) -> Doc:
    rows = ["id,name,email,ssn,card_number,phone,order_ref,created"]
    labels: list[Label] = []
    for n in range(r.randint(5, 12)):
        e, s, c, p = email(r), ssn(r), card(r), us_phone(r)
        rows.append(f'{n},Pat {n},{e},{s},{c},"{p}",{_digits(r, 9)},2024-01-{r.randint(10, 28)}T08:00:00Z')
        labels += [
            ("EMAIL_ADDRESS", e),
            ("USA_SOCIAL_SECURITY_NUMBER", s),
            ("CREDIT_CARD_NUMBER", c),
            ("PHONE_NUMBER", p),
        ]
    return Doc(f"export-{i}.csv", "\n".join(rows).encode(), labels)


def json_doc(r: random.Random, i: int) -> Doc:
    labels: list[Label] = []
    records = []
    for _ in range(r.randint(3, 8)):
        e, ipaddr, c = email(r), ip(r), card(r)
        exp = f"{r.randint(1, 12):02d}/{r.randint(26, 31)}"
        records.append(
            {
                "requestId": negatives(r),
                "customer": {"email": e, "lastLogin": {"ip": ipaddr}},
                "payment": {"card_number": c, "expiry": exp, "amount": r.randint(1, 500)},
                "device": {"imei": luhn_non_card(r)},
            }
        )
        labels += [
            ("EMAIL_ADDRESS", e),
            ("IP_ADDRESS", ipaddr),
            ("CREDIT_CARD_NUMBER", c),
            ("CREDIT_CARD_EXPIRATION", exp),
        ]
    return Doc(f"payload-{i}.json", json.dumps({"items": records}, indent=1).encode(), labels)


def corpus(seed: int = 22, documents: int = 300) -> Iterator[Doc]:
    r = random.Random(seed)
    makers = (prose_doc, prose_doc, csv_doc, json_doc)
    for i in range(documents):
        yield makers[i % len(makers)](r, i)
    # Every other detecting identifier: positives in prose, CSV columns and JSON fields, and its hard negatives.
    id_makers = (
        macie_corpus_ids.id_prose,
        macie_corpus_ids.id_prose,
        macie_corpus_ids.id_csv,
        macie_corpus_ids.id_json,
    )
    specs = macie_corpus_ids.SPECS + macie_corpus_intl.INTL_SPECS
    for i in range(documents * 3):
        name, text, labels = id_makers[i % len(id_makers)](r, i, specs)
        yield Doc(name, text.encode(), labels)
