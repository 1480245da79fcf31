"""Macie's managed data identifiers: AWS's ids and categories (the Macie User Guide's detailed reference), whether
each is in AWS's RECOMMENDED set for jobs, and the Korean identifiers AWS lacks (``aws=False``).

Which of these the engine can detect is ``rules.py``'s business: an identifier listed here without a rule is
listed by ListManagedDataIdentifiers and selectable, and finds nothing (docs/macie.md lists them)."""

from __future__ import annotations

from strongroom.sensitive.contract import Category, ManagedIdentifier

_CRED: Category = "CREDENTIALS"
_FIN: Category = "FINANCIAL_INFORMATION"
_PII: Category = "PERSONAL_INFORMATION"

# AWS's RECOMMENDED set for jobs leaves out the noisiest identifiers: those that match everywhere without a keyword
# (full names, mailing addresses, GPS coordinates, cookies, JWTs, card numbers without a card keyword) and phone
# numbers. Everything else AWS provides is in it.
_NOT_RECOMMENDED = frozenset(
    {
        "ADDRESS",
        "NAME",
        "LATITUDE_LONGITUDE",
        "HTTP_COOKIE",
        "JSON_WEB_TOKEN",
        "CREDIT_CARD_NUMBER_(NO_KEYWORD)",
        "PHONE_NUMBER",
        "BRAZIL_PHONE_NUMBER",
        "FRANCE_PHONE_NUMBER",
        "GERMANY_PHONE_NUMBER",
        "ITALY_PHONE_NUMBER",
        "SPAIN_PHONE_NUMBER",
        "UK_PHONE_NUMBER",
        "BRAZIL_CEP_CODE",
    }
)

_IBAN_COUNTRIES = {
    "ALBANIA": "AL", "ANDORRA": "AD", "BOSNIA_AND_HERZEGOVINA": "BA", "BRAZIL": "BR", "BULGARIA": "BG",
    "COSTA_RICA": "CR", "CROATIA": "HR", "CYPRUS": "CY", "CZECH_REPUBLIC": "CZ", "DENMARK": "DK",
    "DOMINICAN_REPUBLIC": "DO", "EGYPT": "EG", "ESTONIA": "EE", "FAROE_ISLANDS": "FO", "FINLAND": "FI",
    "FRANCE": "FR", "GEORGIA": "GE", "GERMANY": "DE", "GREECE": "GR", "GREENLAND": "GL", "HUNGARY": "HU",
    "ICELAND": "IS", "IRELAND": "IE", "ITALY": "IT", "JORDAN": "JO", "KOSOVO": "XK", "LIECHTENSTEIN": "LI",
    "LITHUANIA": "LT", "MALTA": "MT", "MAURITANIA": "MR", "MAURITIUS": "MU", "MONACO": "MC", "MONTENEGRO": "ME",
    "NETHERLANDS": "NL", "NORTH_MACEDONIA": "MK", "POLAND": "PL", "PORTUGAL": "PT", "SAN_MARINO": "SM",
    "SENEGAL": "SN", "SERBIA": "RS", "SLOVAKIA": "SK", "SLOVENIA": "SI", "SPAIN": "ES", "SWEDEN": "SE",
    "SWITZERLAND": "CH", "TIMOR_LESTE": "TL", "TUNISIA": "TN", "TURKIYE": "TR", "UK": "GB", "UKRAINE": "UA",
    "UNITED_ARAB_EMIRATES": "AE", "VIRGIN_ISLANDS": "VG",
}  # fmt: skip
# The IBAN identifier for each IBAN country code (the account number's first two letters).
IBAN_IDS: dict[str, str] = {cc: f"{name}_BANK_ACCOUNT_NUMBER" for name, cc in _IBAN_COUNTRIES.items()}

_DL_COUNTRIES = {
    "AUSTRALIA": "AU", "AUSTRIA": "AT", "BELGIUM": "BE", "BULGARIA": "BG", "CANADA": "CA", "CROATIA": "HR",
    "CYPRUS": "CY", "CZECHIA": "CZ", "DENMARK": "DK", "ESTONIA": "EE", "FINLAND": "FI", "FRANCE": "FR",
    "GERMANY": "DE", "GREECE": "GR", "HUNGARY": "HU", "INDIA": "IN", "IRELAND": "IE", "ITALY": "IT", "LATVIA": "LV",
    "LITHUANIA": "LT", "LUXEMBOURG": "LU", "MALTA": "MT", "NETHERLANDS": "NL", "POLAND": "PL", "PORTUGAL": "PT",
    "ROMANIA": "RO", "SLOVAKIA": "SK", "SLOVENIA": "SI", "SPAIN": "ES", "SWEDEN": "SE", "UK": "GB",
}  # fmt: skip

_CREDENTIALS = (
    "AWS_CREDENTIALS", "GCP_API_KEY", "HTTP_BASIC_AUTH_HEADER", "JSON_WEB_TOKEN", "OPENSSH_PRIVATE_KEY",
    "PGP_PRIVATE_KEY", "PKCS", "PUTTY_PRIVATE_KEY", "STRIPE_CREDENTIALS",
)  # fmt: skip

_FINANCIAL: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("BANK_ACCOUNT_NUMBER", ("CA", "US")),
    ("CREDIT_CARD_EXPIRATION", ()),
    ("CREDIT_CARD_MAGNETIC_STRIPE", ()),
    ("CREDIT_CARD_NUMBER", ()),
    ("CREDIT_CARD_NUMBER_(NO_KEYWORD)", ()),
    ("CREDIT_CARD_SECURITY_CODE", ()),
)

_PERSONAL: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ADDRESS", ("AU", "CA", "FR", "DE", "IT", "ES", "GB", "US")),
    ("ARGENTINA_DNI_NUMBER", ("AR",)),
    ("ARGENTINA_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", ("AR",)),
    ("ARGENTINA_ORGANIZATION_TAX_IDENTIFICATION_NUMBER", ("AR",)),
    ("ARGENTINA_TARJETA_SUBE", ("AR",)),
    ("AUSTRALIA_TAX_FILE_NUMBER", ("AU",)),
    ("BRAZIL_CEP_CODE", ("BR",)),
    ("BRAZIL_CNPJ_NUMBER", ("BR",)),
    ("BRAZIL_CPF_NUMBER", ("BR",)),
    ("BRAZIL_PHONE_NUMBER", ("BR",)),
    ("BRAZIL_RG_NUMBER", ("BR",)),
    ("CANADA_HEALTH_NUMBER", ("CA",)),
    ("CANADA_NATIONAL_IDENTIFICATION_NUMBER", ("CA",)),
    ("CANADA_PASSPORT_NUMBER", ("CA",)),
    ("CANADA_SOCIAL_INSURANCE_NUMBER", ("CA",)),
    ("CHILE_RUT_NUMBER", ("CL",)),
    ("COLOMBIA_CITIZENSHIP_CARD_NUMBER", ("CO",)),
    ("COLOMBIA_INDIVIDUAL_NIT_NUMBER", ("CO",)),
    ("COLOMBIA_ORGANIZATION_NIT_NUMBER", ("CO",)),
    ("DATE_OF_BIRTH", ()),
    ("DRIVERS_LICENSE", ("US",)),
    ("EUROPEAN_HEALTH_INSURANCE_CARD_NUMBER", ()),
    ("FINLAND_EUROPEAN_HEALTH_INSURANCE_NUMBER", ("FI",)),
    ("FRANCE_HEALTH_INSURANCE_NUMBER", ("FR",)),
    ("FRANCE_NATIONAL_IDENTIFICATION_NUMBER", ("FR",)),
    ("FRANCE_PASSPORT_NUMBER", ("FR",)),
    ("FRANCE_PHONE_NUMBER", ("FR",)),
    ("FRANCE_TAX_IDENTIFICATION_NUMBER", ("FR",)),
    ("GERMANY_NATIONAL_IDENTIFICATION_NUMBER", ("DE",)),
    ("GERMANY_PASSPORT_NUMBER", ("DE",)),
    ("GERMANY_PHONE_NUMBER", ("DE",)),
    ("GERMANY_TAX_IDENTIFICATION_NUMBER", ("DE",)),
    ("HTTP_COOKIE", ()),
    ("INDIA_AADHAAR_NUMBER", ("IN",)),
    ("INDIA_PERMANENT_ACCOUNT_NUMBER", ("IN",)),
    ("ITALY_NATIONAL_IDENTIFICATION_NUMBER", ("IT",)),
    ("ITALY_PASSPORT_NUMBER", ("IT",)),
    ("ITALY_PHONE_NUMBER", ("IT",)),
    ("LATITUDE_LONGITUDE", ()),
    ("MEDICAL_DEVICE_UDI", ()),
    ("MEXICO_CURP_NUMBER", ("MX",)),
    ("MEXICO_INDIVIDUAL_RFC_NUMBER", ("MX",)),
    ("MEXICO_ORGANIZATION_RFC_NUMBER", ("MX",)),
    ("NAME", ()),
    ("PHONE_NUMBER", ("CA", "US")),
    ("SPAIN_DNI_NUMBER", ("ES",)),
    ("SPAIN_NIE_NUMBER", ("ES",)),
    ("SPAIN_NIF_NUMBER", ("ES",)),
    ("SPAIN_PASSPORT_NUMBER", ("ES",)),
    ("SPAIN_PHONE_NUMBER", ("ES",)),
    ("SPAIN_SOCIAL_SECURITY_NUMBER", ("ES",)),
    ("SPAIN_TAX_IDENTIFICATION_NUMBER", ("ES",)),
    ("UK_ELECTORAL_ROLL_NUMBER", ("GB",)),
    ("UK_NATIONAL_HEALTH_SERVICE_NUMBER", ("GB",)),
    ("UK_NATIONAL_INSURANCE_NUMBER", ("GB",)),
    ("UK_PASSPORT_NUMBER", ("GB",)),
    ("UK_PHONE_NUMBER", ("GB",)),
    ("UK_TAX_IDENTIFICATION_NUMBER", ("GB",)),
    ("USA_DRUG_ENFORCEMENT_AGENCY_NUMBER", ("US",)),
    ("USA_HEALTH_INSURANCE_CLAIM_NUMBER", ("US",)),
    ("USA_HEALTHCARE_PROCEDURE_CODE", ("US",)),
    ("USA_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", ("US",)),
    ("USA_MEDICARE_BENEFICIARY_IDENTIFIER", ("US",)),
    ("USA_NATIONAL_DRUG_CODE", ("US",)),
    ("USA_NATIONAL_PROVIDER_IDENTIFIER", ("US",)),
    ("USA_PASSPORT_NUMBER", ("US",)),
    ("USA_SOCIAL_SECURITY_NUMBER", ("US",)),
    ("VEHICLE_IDENTIFICATION_NUMBER", ()),
)

# Ours: what AWS lacks. Korean identifiers, and credential formats AWS's list does not name.
_OURS: tuple[tuple[str, Category, tuple[str, ...]], ...] = (
    ("KOREA_RESIDENT_REGISTRATION_NUMBER", _PII, ("KR",)),
    ("KOREA_PASSPORT_NUMBER", _PII, ("KR",)),
    ("KOREA_DRIVERS_LICENSE", _PII, ("KR",)),
    ("KOREA_BUSINESS_REGISTRATION_NUMBER", _PII, ("KR",)),
    ("KOREA_PHONE_NUMBER", _PII, ("KR",)),
    ("GITHUB_TOKEN", _CRED, ()),
    ("SLACK_TOKEN", _CRED, ()),
    ("OPENAI_API_KEY", _CRED, ()),
    ("URL_BASIC_AUTH_CREDENTIALS", _CRED, ()),
    ("EMAIL_ADDRESS", _PII, ()),
    ("IP_ADDRESS", _PII, ()),
)


def _build() -> tuple[ManagedIdentifier, ...]:
    out: list[ManagedIdentifier] = []
    out += [ManagedIdentifier(i, _CRED, i not in _NOT_RECOMMENDED) for i in _CREDENTIALS]
    fin = list(_FINANCIAL)
    fin += [(iid, (cc,)) for cc, iid in IBAN_IDS.items()]
    out += [ManagedIdentifier(i, _FIN, i not in _NOT_RECOMMENDED, c) for i, c in fin]
    pii = list(_PERSONAL) + [(f"{n}_DRIVERS_LICENSE", (cc,)) for n, cc in _DL_COUNTRIES.items()]
    out += [ManagedIdentifier(i, _PII, i not in _NOT_RECOMMENDED, c) for i, c in pii]
    # Ours are in our RECOMMENDED set when they need a keyword or a check digit (precise enough for a default job).
    noisy = {"EMAIL_ADDRESS", "IP_ADDRESS", "KOREA_PHONE_NUMBER"}
    out += [ManagedIdentifier(i, cat, i not in noisy, c, aws=False) for i, cat, c in _OURS]
    seen: set[str] = set()
    uniq = []
    for m in sorted(out, key=lambda m: m.id):
        if m.id not in seen:
            seen.add(m.id)
            uniq.append(m)
    return tuple(uniq)


CATALOGUE: tuple[ManagedIdentifier, ...] = _build()
BY_ID: dict[str, ManagedIdentifier] = {m.id: m for m in CATALOGUE}
