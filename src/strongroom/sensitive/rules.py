"""How each managed identifier is found: a value pattern (RE2 syntax, compiled into one multi-pattern set with every
other identifier's), a check (validators.CHECKS), and its keywords as AWS documents them.

Keyword semantics (Macie User Guide, "Keyword requirements"): a keyword has to be within 30 characters of the data;
in CSV/TSV/XLSX it may instead be the column's name, in JSON/JSONL/Parquet/Avro an element of the field's path.
``adjacent`` rules (a bare 3-digit code, a date) also need the keyword to precede the value with no other number in
between, so that "exp 02/2026 cvv 123" gives the code 123, not 2026."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from strongroom.sensitive import validators
from strongroom.sensitive.catalogue import IBAN_IDS

Resolve = Callable[[str, Callable[[], bool]], str | None]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str  # the identifier it reports (resolve may pick another: IBAN country, phone region, card keyword)
    pattern: str
    check: str | None = None
    keywords: tuple[str, ...] = ()
    required: bool = False
    adjacent: bool = False
    distance: int = 30
    resolve: Resolve | None = None
    ids: tuple[str, ...] = ()  # every id resolve can answer (selection); defaults to (id,)
    # What the multi-pattern set looks for: a short, distinctive piece every match contains (a prefix, a separator
    # shape). The set only says where to look; ``pattern`` decides. Counted repetitions in a set multiply DFA
    # states on dense content, so anchors avoid them. None: the pattern itself.
    anchor: str | None = None

    def reports(self) -> tuple[str, ...]:
        return self.ids or (self.id,)


def _kw(text: str) -> tuple[str, ...]:
    return tuple(k.strip() for k in text.split(",") if k.strip())


DL_KW = _kw(
    "dl#, dl:, dlno#, driver licence, driver licences, driver license, driver licenses, driver permit, drivers lic., "
    "drivers licence, driver's licence, drivers licences, driver's licences, drivers license, driver's license, "
    "drivers licenses, driver's licenses, drivers permit, driver's permit, drivers permit number, driving licence, "
    "driving license, driving permit"
)
CARD_KW = _kw(
    "account number, american express, amex, bank card, c card, card, cc #, ccn, check card, cred card, credit, "
    "credit card, credit cards, credit no, credit num, dankort, debit, debit card, debit no, debit num, diners club, "
    "discover, electron, japanese card bureau, jcb, mastercard, mc, pan, payment account number, payment card number, "
    "pcn, pmnt #, pmnt card, pmnt no, pmnt number, union pay, visa"
)
BBAN_KW = _kw(
    "account code, account number, accountno#, accountnumber#, bban, customer account id, customer account number, "
    "customer bank account id, iban, sepa, code bancaire, compte bancaire, numéro de compte, bankleitzahl, "
    "kontonummer, codice bancario, conto bancario, numero di conto, código cuenta, número cuenta cliente"
)
PHONE_KW = _kw(
    "cell, contact, fax, fax number, mobile, phone, phone number, tel, telephone, telephone number, cel, celular, "
    "fone, móvel, telefone, téléphone, portable, telefon, handy, telefono, cellulare, teléfono, móvil, "
    "전화, 전화번호, 휴대폰, 휴대전화, 핸드폰, 연락처"
)
KR_RRN_KW = _kw("주민등록번호, 주민번호, 주민등록, resident registration number, rrn")

_PHONE_IDS = {
    "US": "PHONE_NUMBER", "CA": "PHONE_NUMBER", "BR": "BRAZIL_PHONE_NUMBER", "FR": "FRANCE_PHONE_NUMBER",
    "DE": "GERMANY_PHONE_NUMBER", "IT": "ITALY_PHONE_NUMBER", "ES": "SPAIN_PHONE_NUMBER", "GB": "UK_PHONE_NUMBER",
    "KR": "KOREA_PHONE_NUMBER",
}  # fmt: skip
_REGIONS_BY_HINT = ("US", "GB", "FR", "DE", "IT", "ES", "BR", "KR")


def _phone(value: str, has_kw: Callable[[], bool]) -> str | None:
    """phonenumbers decides: with a country code anywhere; without one only near a keyword (AWS's rule), trying the
    supported countries' national formats."""
    international = value.lstrip().startswith(("+", "00"))
    if not international and not has_kw():
        return None
    return _phone_id(value.strip(), international)


@functools.lru_cache(maxsize=4096)
def _phone_id(value: str, international: bool) -> str | None:
    import phonenumbers  # with the first candidate number: ~1.2 MB in every process that loads Macie

    if international:
        try:
            num = phonenumbers.parse("+" + value[2:] if value.startswith("00") else value, None)
        except phonenumbers.NumberParseException:
            return None
        return (
            _PHONE_IDS.get(phonenumbers.region_code_for_number(num) or "")
            if phonenumbers.is_valid_number(num)
            else None
        )
    # Without a country code several countries may accept the digits: prefer the one whose national format is the
    # way the number is written (010-1234-5678 is Korean, (415) 555-0100 American). North American numbers never
    # start with 0 or 1, trunk-prefixed ones (the others here) start with 0.
    digits = "".join(c for c in value if c.isdigit())
    regions = ("US",) if digits[:1] not in ("0", "1") and len(digits) == 10 else _REGIONS_BY_HINT[1:]
    written = " ".join("".join(c if c.isdigit() else " " for c in value).split())
    grouped: str | None = None
    first: str | None = None
    for region in regions:
        try:
            num = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number_for_region(num, region):
            national = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL)
            if national == value:
                return _PHONE_IDS[region]
            if grouped is None and " ".join("".join(c if c.isdigit() else " " for c in national).split()) == written:
                grouped = _PHONE_IDS[region]
            first = first or _PHONE_IDS[region]
    return grouped or first


def _iban(value: str, has_kw: Callable[[], bool]) -> str | None:
    return IBAN_IDS.get(value[:2].upper()) if validators.iban(value) else None


def _card(value: str, has_kw: Callable[[], bool]) -> str | None:
    if not validators.card_number(value):
        return None
    return "CREDIT_CARD_NUMBER" if has_kw() else "CREDIT_CARD_NUMBER_(NO_KEYWORD)"


def _kr_rrn(value: str, has_kw: Callable[[], bool]) -> str | None:
    if not validators.kr_rrn(value):
        return None
    # Before October 2020 the 13th digit is a mod-11 check digit; numbers issued since are random after the gender
    # digit, so they count only near a Korean keyword.
    if validators.kr_rrn_checksum(value) or has_kw():
        return "KOREA_RESIDENT_REGISTRATION_NUMBER"
    return None


# Word boundaries, zero-width: values separated by one character ("a@b.io\nc@d.io", "1,2") are all found. (A
# consuming boundary class would eat the separator the next value needs.)
_B = r"\b"
_E = r"\b"
_MBI_L = "[AC-HJKMNP-RT-Y]"  # a Medicare Beneficiary Identifier's letters (no S, L, O, I, B, Z)
_MBI_A = "[AC-HJKMNP-RT-Y0-9]"
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]{0,6}\.?"
_DATE = (
    r"(?i)" + _B + r"((?:\d{1,2}[/.\- ]\d{1,2}[/.\- ](?:19|20)\d{2}|(?:19|20)\d{2}[/.\-]\d{1,2}[/.\-]\d{1,2}"
    r"|\d{1,2} " + _MONTHS + r",? (?:19|20)\d{2}|" + _MONTHS + r" \d{1,2},? (?:19|20)\d{2}))" + _E
)

RULES: tuple[Rule, ...] = (
    # --- credentials
    Rule(
        "AWS_CREDENTIALS",
        r"(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?:$|[^A-Za-z0-9/+=])",
        "aws_secret",
        _kw(
            "aws_secret_access_key, aws secret access key, secret access key, secret_access_key, secretaccesskey, "
            "aws_secret, aws secret, secret key, secret_key, akia, asia"
        ),
        required=True,
        distance=60,
    ),
    Rule("GCP_API_KEY", r"(?:^|[^0-9A-Za-z_\-])(AIza[0-9A-Za-z_\-]{35})(?:$|[^0-9A-Za-z_\-])", anchor=r"AIza"),
    Rule(
        "HTTP_BASIC_AUTH_HEADER",
        r"(?i)(authorization:\s*basic\s+[A-Za-z0-9+/]{6,}={0,2})",
        "basic_auth",
        anchor=r"(?i)authorization:\s*basic",
    ),
    Rule(
        "JSON_WEB_TOKEN",
        r"(eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,})",
        "jwt",
        anchor=r"eyJ[A-Za-z0-9_\-]+\.eyJ",
    ),
    Rule(
        "OPENSSH_PRIVATE_KEY",
        r"(-----BEGIN OPENSSH PRIVATE KEY-----[A-Za-z0-9+/=\s]{40,}?-----END OPENSSH PRIVATE KEY-----)",
        anchor=r"-----BEGIN OPENSSH PRIVATE KEY",
    ),
    Rule(
        "PGP_PRIVATE_KEY",
        r"(-----BEGIN PGP PRIVATE KEY BLOCK-----[A-Za-z0-9+/=\s:.,()\-]{40,}?-----END PGP PRIVATE KEY BLOCK-----)",
        anchor=r"-----BEGIN PGP PRIVATE KEY BLOCK",
    ),
    Rule(
        "PKCS",
        r"(-----BEGIN (?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----[A-Za-z0-9+/=\s:,\-]{40,}?"
        r"-----END (?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----)",
        anchor=r"-----BEGIN (?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY",
    ),
    Rule(
        "PUTTY_PRIVATE_KEY",
        r"(PuTTY-User-Key-File-[23]: [^\n]{3,80}\n[\s\S]{20,}?Private-MAC: [0-9a-fA-F]{40,64})",
        anchor=r"PuTTY-User-Key-File-",
    ),
    Rule(
        "STRIPE_CREDENTIALS",
        r"(?:^|[^0-9A-Za-z_])((?:sk|rk)_(?:live|test)_[0-9A-Za-z]{24,99})(?:$|[^0-9A-Za-z])",
        anchor=r"(?:sk|rk)_(?:live|test)_",
    ),
    Rule(
        "GITHUB_TOKEN",
        r"(?:^|[^0-9A-Za-z_])(gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})(?:$|[^0-9A-Za-z_])",
        anchor=r"gh[pousr]_|github_pat_",
    ),
    Rule(
        "SLACK_TOKEN",
        r"(xox[abposr]-[0-9]{6,13}-[0-9A-Za-z\-]{10,}|https://hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/"
        r"[A-Za-z0-9]{20,})",
        anchor=r"xox[abposr]-|hooks\.slack\.com",
    ),
    Rule(
        "OPENAI_API_KEY",
        r"(?:^|[^0-9A-Za-z_\-])(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}T3BlbkFJ[A-Za-z0-9_\-]{16,})"
        r"(?:$|[^0-9A-Za-z_\-])",
        anchor=r"T3BlbkFJ",
    ),
    Rule(
        "URL_BASIC_AUTH_CREDENTIALS",
        r"(?i)([a-z][a-z0-9+.\-]{1,15}://[^\s:/@\"'<>]{1,64}:[^\s:/@\"'<>]{1,128}@[a-z0-9.\-]+)",
        "url_credentials",
        anchor=r"://[^\s:/@]+:[^\s/@]+@",
    ),
    # --- financial
    Rule(
        "CREDIT_CARD_NUMBER",
        _B + r"(\d{4}[ \-]\d{4}[ \-]\d{4}[ \-]\d{1,7}|\d{4}[ \-]\d{6}[ \-]\d{4,5}|\d{13,19})" + _E,
        None,
        CARD_KW,
        resolve=_card,
        distance=50,
        ids=("CREDIT_CARD_NUMBER", "CREDIT_CARD_NUMBER_(NO_KEYWORD)"),
        anchor=r"\d\d\d\d[ \-]?\d\d\d\d[ \-]?\d\d\d\d",
    ),
    Rule(
        "CREDIT_CARD_EXPIRATION",
        r"(?i)"
        + _B
        + r"((?:0?[1-9]|1[0-2]) ?[/\-] ?(?:20)?\d{2}|"
        + _MONTHS
        + r" ?(?:20)?\d{2}|\d{2}-"
        + _MONTHS
        + ")"
        + _E,
        None,
        _kw("exp d, exp m, exp y, expiration, expiry, exp date, expires, exp., exp:, exp"),
        required=True,
        adjacent=True,
    ),
    Rule(
        "CREDIT_CARD_SECURITY_CODE",
        _B + r"(\d{3,4})" + _E,
        None,
        _kw(
            "card id, card identification code, card identification number, card security code, card validation code, "
            "card validation number, card verification data, card verification value, cvc, cvc2, cvv, cvv2, "
            "elo verification code, security code"
        ),
        required=True,
        adjacent=True,
        distance=20,
    ),
    Rule(
        "CREDIT_CARD_MAGNETIC_STRIPE",
        r"(%B\d{13,19}\^[A-Z /.\-]{2,26}\^\d{7,}[0-9 ]*\?|;\d{13,19}=\d{7,}\?)",
        "luhn_track",
        _kw("card data, iso7813, mag, magstripe, stripe, swipe, track"),
        required=True,
        distance=60,
    ),
    Rule(
        "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
        _B + r"([A-Z]{2}\d{2}(?:[ \-]?[0-9A-Z]{4}){2,7}(?:[ \-]?[0-9A-Z]{1,4})?)" + _E,
        None,
        resolve=_iban,
        ids=tuple(IBAN_IDS.values()),
        anchor=r"\b[A-Z][A-Z]\d\d[ \-]?[0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z][ \-]?[0-9A-Z]",
    ),
    Rule(
        "BANK_ACCOUNT_NUMBER",
        _B + r"(\d{9,17})" + _E,
        "not_all_same",
        _kw(
            "bank account, bank acct, checking account, checking acct, deposit account, deposit acct, savings account, "
            "savings acct, chequing account, chequing acct, account no, account number"
        ),
        required=True,
        adjacent=True,
    ),
    Rule(
        "UK_BANK_ACCOUNT_NUMBER",
        _B + r"(\d{2}-\d{2}-\d{2} ?\d{8})" + _E,
        None,
        BBAN_KW + _kw("sort code"),
        required=True,
    ),
    # --- personal
    Rule(
        "USA_SOCIAL_SECURITY_NUMBER",
        _B + r"(\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}|\d{9})" + _E,
        "us_ssn",
        _kw("social security, ss#, ssn, social security number, social security no"),
        required=True,
    ),
    Rule(
        "USA_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER",
        _B + r"(9\d{2}-?\d{2}-?\d{4})" + _E,
        "us_itin",
        _kw("i.t.i.n., individual taxpayer identification number, itin"),
        required=True,
    ),
    Rule(
        "USA_PASSPORT_NUMBER",
        _B + r"([A-Z]?\d{8,9})" + _E,
        "not_all_same",
        _kw("passport, travel document, passport number, passport no"),
        required=True,
    ),
    Rule(
        "DRIVERS_LICENSE",
        _B + r"([A-Z]\d{4,14}|[A-Z]{1,2}\d{5,8}|\d{7,9}|[A-Z]\d{3}-\d{3}-\d{2}-\d{3}-\d)" + _E,
        "not_all_same",
        DL_KW,
        required=True,
        adjacent=True,
    ),
    Rule(
        "DATE_OF_BIRTH",
        _DATE,
        "date",
        _kw("bday, b-day, birth date, birthday, date of birth, dob, born, 생년월일, date de naissance, geburtsdatum"),
        required=True,
        adjacent=True,
    ),
    Rule(
        "UK_NATIONAL_INSURANCE_NUMBER",
        r"(?i)" + _B + r"([a-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[a-d])" + _E,
        "uk_nino",
        _kw(
            "insurance no., insurance number, insurance#, national insurance number, nationalinsurance#, "
            "nationalinsurancenumber, nin, nino, ni number"
        ),
        required=True,
    ),
    Rule(
        "UK_PASSPORT_NUMBER",
        _B + r"(\d{9})" + _E,
        "not_all_same",
        _kw("passport #, passport no, passport number, passport#, passportid, uk passport"),
        required=True,
    ),
    Rule(
        "UK_NATIONAL_HEALTH_SERVICE_NUMBER",
        _B + r"(\d{3} ?\d{3} ?\d{4})" + _E,
        "gb_nhs",
        _kw("nhs, nhs number, national health service"),
        required=True,
    ),
    Rule(
        "UK_TAX_IDENTIFICATION_NUMBER",
        _B + r"(\d{5} ?\d{5})" + _E,
        "gb_utr",
        _kw("utr, unique taxpayer reference, unique tax reference, tax reference"),
        required=True,
    ),
    Rule(
        "CANADA_SOCIAL_INSURANCE_NUMBER",
        _B + r"(\d{3}[ \-]?\d{3}[ \-]?\d{3})" + _E,
        "ca_sin",
        _kw("canadian id, numéro d'assurance sociale, sin, social insurance number"),
        required=True,
    ),
    Rule(
        "FRANCE_NATIONAL_IDENTIFICATION_NUMBER",
        _B + r"([12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2})" + _E,
        "fr_nir",
        _kw(
            "insee, sécurité sociale, securite sociale, numéro de sécurité sociale, nir, social security number, "
            "ssn, cni"
        ),
        required=True,
    ),
    Rule(
        "FRANCE_TAX_IDENTIFICATION_NUMBER",
        _B + r"([0-3]\d{12})" + _E,
        "fr_nif",
        _kw("numéro d'identification fiscal, tax id, tax identification number, tax number, tin, tin#, spi"),
        required=True,
    ),
    Rule(
        "GERMANY_TAX_IDENTIFICATION_NUMBER",
        _B + r"(\d{2} ?\d{3} ?\d{3} ?\d{3})" + _E,
        "de_idnr",
        _kw(
            "identifikationsnummer, steuer id, steueridentifikationsnummer, steuernummer, tax id, "
            "tax identification number, idnr"
        ),
        required=True,
    ),
    Rule(
        "SPAIN_DNI_NUMBER",
        r"(?i)" + _B + r"(\d{8}-?[a-z])" + _E,
        "es_dni",
        _kw("dni, dni#, dninúmero#, documento nacional de identidad, national identity, nationalid#"),
        required=True,
    ),
    Rule(
        "SPAIN_NIE_NUMBER",
        r"(?i)" + _B + r"([xyz]-?\d{7}-?[a-z])" + _E,
        "es_nie",
        _kw("nie, número de identidad de extranjero, tax id, tin"),
        required=True,
    ),
    Rule(
        "SPAIN_NIF_NUMBER",
        r"(?i)" + _B + r"([0-9klmxyz]\d{7}[a-z])" + _E,
        "es_nif",
        _kw("nif, número de identificación fiscal, personal tax number"),
        required=True,
    ),
    Rule(
        "SPAIN_TAX_IDENTIFICATION_NUMBER",
        r"(?i)" + _B + r"([abcdefghjnpqrsuvw]-?\d{7}-?[0-9a-j])" + _E,
        "es_cif",
        _kw("cif, cif número, cifnúmero#, número de impuesto corporativo, tax id"),
        required=True,
    ),
    Rule(
        "ITALY_NATIONAL_IDENTIFICATION_NUMBER",
        r"(?i)" + _B + r"([a-z]{6}\d{2}[a-z]\d{2}[a-z]\d{3}[a-z])" + _E,
        "it_cf",
        _kw("codice fiscale, codice fiscal, dati anagrafici, tax code, tessera sanitaria"),
        required=True,
    ),
    Rule(
        "INDIA_AADHAAR_NUMBER",
        _B + r"([2-9]\d{3} ?\d{4} ?\d{4})" + _E,
        "in_aadhaar",
        _kw("aadhaar, aadhar, adhaar, uidai"),
        required=True,
    ),
    Rule(
        "INDIA_PERMANENT_ACCOUNT_NUMBER",
        _B + r"([A-Z]{3}[ABCFGHLJPT][A-Z]\d{4}[A-Z])" + _E,
        "in_pan",
        _kw("e-pan, pan card, pan number, permanent account number, pan"),
        required=True,
    ),
    Rule(
        "BRAZIL_CPF_NUMBER",
        _B + r"(\d{3}\.?\d{3}\.?\d{3}-?\d{2})" + _E,
        "br_cpf",
        _kw("cadastro de pessoa física, cadastro de pessoas físicas, cpf"),
        required=True,
    ),
    Rule(
        "BRAZIL_CNPJ_NUMBER",
        _B + r"(\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2})" + _E,
        "br_cnpj",
        _kw("cadastro nacional da pessoa jurídica, cnpj"),
        required=True,
    ),
    Rule(
        "CHILE_RUT_NUMBER",
        r"(?i)" + _B + r"(\d{1,2}\.?\d{3}\.?\d{3}-?[\dk])" + _E,
        "cl_rut",
        _kw("rut, rut#, r.u.t., run, run#, r.u.n., rol único nacional, rol único tributario"),
        required=True,
    ),
    Rule(
        "ARGENTINA_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER",
        _B + r"((?:20|23|24|27)-?\d{8}-?\d)" + _E,
        "ar_cuit",
        _kw("cuil, c.u.i.l, cuit, c.u.i.t, argentina taxpayer id"),
        required=True,
    ),
    Rule(
        "COLOMBIA_INDIVIDUAL_NIT_NUMBER",
        # An organisation's NIT starts with 8 or 9 (COLOMBIA_ORGANIZATION_NIT_NUMBER); a person's is the cédula's.
        _B + r"([1-7]\d{2}\.?\d{3}\.?\d{3}-?\d)" + _E,
        "co_nit",
        _kw("nit, nit., nit#, n.i.t."),
        required=True,
    ),
    Rule(
        "MEXICO_CURP_NUMBER",
        r"(?i)" + _B + r"([a-z]{4}\d{6}[hm][a-z]{5}[0-9a-z]\d)" + _E,
        "mx_curp",
        _kw("curp, clave única de registro de población, clave única"),
        required=True,
    ),
    Rule(
        "MEXICO_INDIVIDUAL_RFC_NUMBER",
        r"(?i)" + _B + r"([a-z&ñ]{4}\d{6}[a-z0-9]{3})" + _E,
        "mx_rfc",
        _kw("rfc, rfc#, r.f.c., registro federal de contribuyentes"),
        required=True,
    ),
    Rule(
        "AUSTRALIA_TAX_FILE_NUMBER",
        _B + r"(\d{3} ?\d{3} ?\d{2,3})" + _E,
        "au_tfn",
        _kw("tax file number, tfn"),
        required=True,
    ),
    Rule(
        "VEHICLE_IDENTIFICATION_NUMBER",
        r"(?i)" + _B + r"([a-hj-npr-z0-9]{17})" + _E,
        "vin",
        _kw("vehicle identification number, vin, fahrgestellnummer, niv, vin numeris"),
        required=True,
    ),
    Rule(
        "LATITUDE_LONGITUDE",
        _B + r"(-?(?:[1-8]?\d|90)\.\d{4,8}, ?-?(?:1[0-7]\d|[1-9]?\d|180)\.\d{4,8})" + _E,
        None,
        _kw("coordinate, coordinates, lat long, latitude longitude, position, gps, location"),
        required=True,
    ),
    Rule(
        "HTTP_COOKIE",
        r"(?im)^((?:set-)?cookie: ?[^=;\s]{1,64}=[^;\s]{1,}(?:; ?[^=;\s]{1,64}(?:=[^;\r\n]*)?)*)",
        anchor=r"(?im)^(?:set-)?cookie:",
    ),
    # Phone numbers: with a country code anywhere (anchored on the "+" / "00"), without one only near a keyword
    # (gated by the keywords) — AWS's rule, as two passes that report the same identifiers.
    Rule(
        "PHONE_NUMBER",
        r"(?:^|[^0-9A-Za-z+])((?:\+|00)[1-9]\d{0,2}[ \-.]?(?:\(\d{1,4}\)[ \-.]?)?\d{1,4}(?:[ \-.]?\d{2,4}){1,4})\b",
        None,
        PHONE_KW,
        resolve=_phone,
        ids=tuple(sorted(set(_PHONE_IDS.values()))),
        anchor=r"(?:\+|\b00)[1-9]",
    ),
    Rule(
        "PHONE_NUMBER",
        r"(?:^|[^0-9A-Za-z+])(\(?0?\d{2,4}\)?[ \-.]?\d{3,4}[ \-.]?\d{4})\b",
        None,
        PHONE_KW,
        required=True,
        resolve=_phone,
        ids=tuple(sorted(set(_PHONE_IDS.values()))),
    ),
    Rule(
        "EMAIL_ADDRESS",
        r"(?i)\b([a-z0-9][a-z0-9._%+\-]{0,63}@(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})\b",
        anchor=r"@[A-Za-z0-9\-]+\.[A-Za-z]",
    ),
    Rule(
        "IP_ADDRESS",
        _B + r"((?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})\b",
        "ipv4",
        anchor=r"\d\.\d+\.\d+\.\d",
    ),
    # --- passports and driver's licences with a national format (keywords: AWS's per-country tables)
    Rule(
        "CANADA_PASSPORT_NUMBER",
        _B + r"([A-Z]{2}\d{6})" + _E,
        None,
        _kw("passeport, passeport#, passport, passport#, passportno, passportno#"),
        required=True,
    ),
    Rule(
        "FRANCE_PASSPORT_NUMBER",
        _B + r"(\d{2}[A-Z]{2}\d{5})" + _E,
        None,
        _kw("numéro de passeport, passeport, passeport #, passeport n °, passeport non"),
        required=True,
    ),
    Rule(
        "GERMANY_PASSPORT_NUMBER",
        _B + r"([CFGHJKLMNPRTVWXYZ][CFGHJKLMNPRTVWXYZ0-9]{8})" + _E,
        None,
        _kw(
            "ausstellungsdatum, ausstellungsort, geburtsdatum, passport, passports, reisepass, reisepass–nr, "
            "reisepassnummer"
        ),
        required=True,
    ),
    Rule(
        "ITALY_PASSPORT_NUMBER",
        _B + r"([A-Z]{2}\d{7})" + _E,
        None,
        _kw(
            "italian passport number, numéro passeport, numéro passeport italien, passaporto, passaporto italiana, "
            "passaporto numero, passport number, repubblica italiana passaporto"
        ),
        required=True,
    ),
    Rule(
        "SPAIN_PASSPORT_NUMBER",
        _B + r"([A-Z]{3}\d{6}|[A-Z]{2}\d{6})" + _E,
        None,
        _kw(
            "españa pasaporte, libreta pasaporte, número pasaporte, pasaporte, passport, passport book, passport no, "
            "passport number, spain passport"
        ),
        required=True,
    ),
    Rule(
        "UK_DRIVERS_LICENSE",
        _B + r"([A-Z9]{5}\d[0156]\d[0-3]\d{2}[A-Z9]{2}\d[A-Z]{2})" + _E,
        None,
        DL_KW,
        required=True,
    ),
    Rule(
        "ITALY_DRIVERS_LICENSE",
        _B + r"([A-Z]{2}\d{7}[A-Z]|U1[A-Z0-9]{7}[A-Z])" + _E,
        None,
        _kw("patente di guida, patente di guida numero, patente guida, patente guida numero"),
        required=True,
    ),
    Rule(
        "INDIA_DRIVERS_LICENSE",
        _B + r"([A-Z]{2}[ \-]?\d{2}[ \-]?(?:19|20)\d{2}\d{7})" + _E,
        None,
        DL_KW,
        required=True,
    ),
    Rule(
        "CANADA_DRIVERS_LICENSE",
        _B + r"([A-Z]\d{4}[ \-]?\d{5}[ \-]?\d{5})" + _E,
        None,
        DL_KW + _kw("permis de conduire"),
        required=True,
    ),
    Rule(
        "GERMANY_DRIVERS_LICENSE",
        _B + r"([A-Z0-9]\d{2}[A-Z0-9]{6}\d[A-Z0-9])" + _E,
        "not_all_same",
        _kw("fuehrerschein, fuehrerscheinnummer, fuhrerschein, führerschein, fuhrerscheinnummer, führerscheinnummer"),
        required=True,
    ),
    Rule(
        "SPAIN_DRIVERS_LICENSE",
        _B + r"(\d{8}[A-Z])" + _E,
        "es_dni",
        _kw(
            "carnet conducer, el carnet de conducer, licencia conducer, licencia de manejo, número carnet conducer, "
            "permiso conducción, permiso conducer, permiso de conducción, carnet de conducir, permiso de conducir"
        ),
        required=True,
    ),
    # --- more national ids, and health identifiers (PHI); keywords AWS's where its reference lists them
    Rule(
        "ARGENTINA_TARJETA_SUBE",
        _B + r"(6061[ \-]?\d{4}[ \-]?\d{4}[ \-]?\d{4})" + _E,
        "sube",
        _kw("sistema único de boleto electrónico, sube"),
        required=True,
    ),
    Rule(
        "ARGENTINA_ORGANIZATION_TAX_IDENTIFICATION_NUMBER",
        _B + r"((?:30|33|34)-?\d{8}-?\d)" + _E,
        "ar_cuit",
        _kw("cuit, c.u.i.t, clave única de identificación tributaria, número de contribuyente"),
        required=True,
    ),
    Rule(
        "COLOMBIA_ORGANIZATION_NIT_NUMBER",
        _B + r"([89]\d{2}\.?\d{3}\.?\d{3}-?\d)" + _E,
        "co_nit",
        _kw("nit, nit., nit#, n.i.t."),
        required=True,
    ),
    Rule(
        "MEXICO_ORGANIZATION_RFC_NUMBER",
        r"(?i)" + _B + r"([a-z&ñ]{3}\d{6}[a-z0-9]{3})" + _E,
        "mx_rfc",
        _kw("rfc, rfc#, r.f.c., registro federal de contribuyentes"),
        required=True,
    ),
    Rule(
        "BRAZIL_CEP_CODE",
        _B + r"(\d{5}-\d{3})" + _E,
        None,
        _kw("cep, código de endereçamento postal, codigo de endereçamento postal, código postal, codigo postal"),
        required=True,
        adjacent=True,
    ),
    Rule(
        "SPAIN_SOCIAL_SECURITY_NUMBER",
        _B + r"(\d{2}[ /\-]?\d{8}[ /\-]?\d{2})" + _E,
        "es_ssn",
        _kw(
            "número de la seguridad social, social security no., social security number, socialsecurityno#, ssn, "
            "ssn#, seguridad social"
        ),
        required=True,
    ),
    Rule(
        "USA_NATIONAL_PROVIDER_IDENTIFIER",
        _B + r"([12]\d{9})" + _E,
        "us_npi",
        _kw("npi, national provider identifier, provider id"),
        required=True,
    ),
    Rule(
        "USA_DRUG_ENFORCEMENT_AGENCY_NUMBER",
        _B + r"([ABCDEFGHJKLMPRSTUX][A-Z9]\d{7})" + _E,
        "us_dea",
        _kw("dea, dea number, dea registration, drug enforcement"),
        required=True,
    ),
    Rule(
        "USA_MEDICARE_BENEFICIARY_IDENTIFIER",
        _B + f"([1-9]{_MBI_L}{_MBI_A}\\d-?{_MBI_L}{_MBI_A}\\d-?{_MBI_L}{_MBI_L}\\d{{2}})" + _E,
        None,
        _kw("mbi, medicare beneficiary identifier, medicare number, medicare id, medicare"),
        required=True,
    ),
    Rule(
        "USA_NATIONAL_DRUG_CODE",
        _B + r"(\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d{1,2})" + _E,
        None,
        _kw("ndc, national drug code, drug code"),
        required=True,
    ),
    Rule(
        "USA_HEALTHCARE_PROCEDURE_CODE",
        _B + r"([A-V]\d{4})" + _E,
        None,
        _kw("hcpcs, healthcare common procedure coding system, procedure code"),
        required=True,
        adjacent=True,
    ),
    Rule(
        "FRANCE_HEALTH_INSURANCE_NUMBER",
        _B + r"([12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2})" + _E,
        "fr_nir",
        _kw("carte vitale, numéro de sécurité sociale, assurance maladie, vitale, health insurance number"),
        required=True,
    ),
    # --- Korean (ours)
    Rule(
        "KOREA_RESIDENT_REGISTRATION_NUMBER",
        _B + r"(\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])-?[1-8]\d{6})" + _E,
        None,
        KR_RRN_KW,
        resolve=_kr_rrn,
        anchor=r"\d\d\d\d\d\d-[1-8]\d\d\d\d\d\d|주민|resident registration",
    ),
    Rule(
        "KOREA_PASSPORT_NUMBER",
        _B + r"([MSROD]\d{8}|[MSROD]\d{3}[A-Z]\d{4})" + _E,
        None,
        _kw("여권, 여권번호, passport, passport no, passport number"),
        required=True,
    ),
    Rule(
        "KOREA_DRIVERS_LICENSE",
        _B + r"((?:1[1-9]|2[0-8])-?\d{2}-?\d{6}-?\d{2})" + _E,
        None,
        _kw("운전면허, 운전면허번호, 면허번호, driver license, driver's license, driving licence"),
        required=True,
    ),
    Rule(
        "KOREA_BUSINESS_REGISTRATION_NUMBER",
        _B + r"(\d{3}-\d{2}-\d{5})" + _E,
        "kr_brn",
        _kw("사업자등록번호, 사업자번호, 사업자, business registration number, brn"),
        required=True,
    ),
)


def _luhn_track(s: str) -> bool:
    pan = s.lstrip("%B;").split("^")[0].split("=")[0]
    return validators.card_number(pan)


def _ipv4(s: str) -> bool:
    # Version-like strings (1.2.3.4 in "v1.2.3.4") are dropped by the boundary; private and documentation ranges
    # are still addresses (AWS reports IPs regardless of range).
    return not s.startswith("0.") and s != "255.255.255.255"


validators.CHECKS["luhn_track"] = _luhn_track
validators.CHECKS["ipv4"] = _ipv4
