"""Pure logic of federation and MFA: RFC 6238 codes, JWT signature and claim checks, SAML signature verification,
password policy rules."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from strongroom.core.errors import AwsError
from strongroom.iam import passwords, saml, totp, webidentity
from tests.support.idp import SamlIdp, SigningKey

# RFC 6238 appendix B: the SHA-1 seed and its 8-digit codes; the six-digit codes are their last six digits.
RFC_SEED = b"12345678901234567890"
RFC_VECTORS = {59: "94287082", 1111111109: "07081804", 1111111111: "14050471", 1234567890: "89005924"}


@pytest.mark.parametrize(("when", "code"), sorted(RFC_VECTORS.items()))
def test_totp_rfc6238_vectors(when: int, code: str) -> None:
    assert totp.code_at(RFC_SEED, when) == code[-6:]


def test_totp_window_and_replay() -> None:
    now = 1_700_000_000.0
    code = totp.code_at(RFC_SEED, now)
    step = totp.verify(RFC_SEED, code, now, None)
    assert step == totp.step_of(now)
    assert totp.verify(RFC_SEED, code, now, step) is None  # used once
    assert totp.verify(RFC_SEED, totp.code_at(RFC_SEED, now - 30), now, None) == step - 1  # one step of drift
    assert totp.verify(RFC_SEED, totp.code_at(RFC_SEED, now - 90), now, None) is None


def test_totp_consecutive() -> None:
    now = 1_700_000_000.0
    c1, c2 = totp.code_at(RFC_SEED, now - 30), totp.code_at(RFC_SEED, now)
    assert totp.verify_consecutive(RFC_SEED, c1, c2, now) == totp.step_of(now)
    assert totp.verify_consecutive(RFC_SEED, c2, c1, now) is None
    assert totp.verify_consecutive(RFC_SEED, c1, c1, now) is None


def test_totp_seed_and_uri() -> None:
    seed = totp.new_seed()
    assert len(seed) == 20 and len(totp.base32(seed)) == 32
    assert totp.otpauth_uri(seed, "alice@123").startswith("otpauth://totp/")


def _token(key: SigningKey, **claims: Any) -> webidentity.Jwt:
    return webidentity.parse(key.sign(claims))


def test_jwt_signature() -> None:
    key, other = SigningKey(), SigningKey(kid="other")
    jwks = {"keys": [key.jwk()]}
    token = _token(key, iss="https://issuer", sub="s", aud="a", exp=2_000_000_000)
    assert webidentity.verify_signature(token, jwks)
    assert not webidentity.verify_signature(webidentity.parse(other.sign({"sub": "s"}, kid=key.kid)), jwks)
    # alg "none" and HMAC are never accepted
    head = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).decode().rstrip("=")
    body = base64.urlsafe_b64encode(json.dumps({"sub": "s"}).encode()).decode().rstrip("=")
    assert not webidentity.verify_signature(webidentity.parse(f"{head}.{body}.eA"), jwks)


def test_jwt_parse_refuses_garbage() -> None:
    for bad in ("", "a.b", "not.a.jwt", "e30.e30"):
        with pytest.raises(AwsError) as exc:
            webidentity.parse(bad)
        assert exc.value.code == "InvalidIdentityToken"


def test_jwt_times() -> None:
    now = 1_700_000_000.0
    webidentity.check_times({"exp": now + 10, "nbf": now - 10, "iat": now}, now)
    with pytest.raises(AwsError) as exc:
        webidentity.check_times({"exp": now - 1}, now)
    assert exc.value.code == "ExpiredTokenException"
    with pytest.raises(AwsError):
        webidentity.check_times({"exp": now + 10, "nbf": now + 5}, now)
    with pytest.raises(AwsError):
        webidentity.check_times({}, now)


def test_key_sets_refetch_on_unknown_kid() -> None:
    old, new = SigningKey(kid="old"), SigningKey(kid="new")
    current = {"keys": [old.jwk()]}
    fetched: list[str] = []

    def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        return {"jwks_uri": "https://issuer/jwks"} if url.endswith("openid-configuration") else current

    sets = webidentity.KeySets(fetch)
    assert sets.verify("https://issuer", webidentity.parse(old.sign({"sub": "s"})))
    current = {"keys": [new.jwk()]}  # rotated
    assert sets.verify("https://issuer", webidentity.parse(new.sign({"sub": "s"})))
    assert len(fetched) == 4


def test_saml_verify_and_tamper() -> None:
    idp = SamlIdp()
    meta = saml.parse_metadata(idp.metadata())
    assert meta.entity_id == idp.entity_id and meta.certificates == [idp.cert_b64()]
    now = datetime.now(UTC)
    xml = idp.response(
        now, subject="bob", roles=["arn:aws:iam::1:role/r,arn:aws:iam::1:saml-provider/p"], session_name="bob"
    )
    assertion = saml.verify(base64.b64encode(xml).decode(), meta.certificates)
    assert assertion.subject == "bob" and assertion.subject_type == "persistent"
    assert assertion.roles() == [("arn:aws:iam::1:role/r", "arn:aws:iam::1:saml-provider/p")]
    assert assertion.not_on_or_after is not None and assertion.not_on_or_after > now - timedelta(seconds=1)
    with pytest.raises(saml.SamlError):
        saml.verify(base64.b64encode(xml.replace(b">bob<", b">eve<")).decode(), meta.certificates)
    with pytest.raises(saml.SamlError):
        saml.verify(base64.b64encode(xml).decode(), [SamlIdp().cert_b64()])


def test_saml_refuses_doctype_and_bad_metadata() -> None:
    with pytest.raises(saml.SamlError):
        saml.parse_metadata('<!DOCTYPE x [<!ENTITY e "x">]><x>&e;</x>')
    with pytest.raises(saml.SamlError):
        saml.parse_metadata("<x/>")


def test_password_policy() -> None:
    default = passwords.Policy()
    assert default.violations("Abcdefg1") == []
    assert default.violations("abcdefgh")  # one character kind
    strict = passwords.Policy(
        minimum_length=10,
        require_symbols=True,
        require_numbers=True,
        require_uppercase=True,
        require_lowercase=True,
        custom=True,
    )
    assert strict.violations("Abcdefghi1!") == []
    assert len(strict.violations("abc")) == 4
    stored = passwords.hash_password("secret-Value-1")
    assert passwords.matches("secret-Value-1", stored) and not passwords.matches("other", stored)
    assert passwords.Policy.from_data(strict.to_data()) == strict
