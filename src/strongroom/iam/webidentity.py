"""OpenID Connect ID tokens (JWTs) for AssumeRoleWithWebIdentity: parsing, the issuer's keys, the signature, claims.

The signature is checked with ``cryptography`` against the issuer's JSON Web Key Set, found as AWS finds it: the
issuer URL's ``/.well-known/openid-configuration`` names ``jwks_uri``. Sets are cached for a few minutes per
issuer and fetched again when a token names a key id the cached set lacks (key rotation).

Errors carry AWS's codes: ``InvalidIdentityToken`` (not a JWT, unknown issuer, bad signature, wrong audience),
``ExpiredTokenException``, ``IDPCommunicationError`` (the issuer's keys cannot be fetched).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from strongroom.core.errors import AwsError

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
_CURVES: dict[str, ec.EllipticCurve] = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}
CACHE_SECONDS = 300.0
FETCH_TIMEOUT = 5.0
LEEWAY = 0  # AWS allows no clock skew on exp


def invalid_token(message: str) -> AwsError:
    return AwsError(message, code="InvalidIdentityToken", status=400)


def expired(message: str) -> AwsError:
    return AwsError(message, code="ExpiredTokenException", status=400)


def idp_error(message: str) -> AwsError:
    return AwsError(message, code="IDPCommunicationError", status=400)


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise invalid_token(
            "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
        ) from None


@dataclass(frozen=True, slots=True)
class Jwt:
    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def parse(token: str) -> Jwt:
    parts = token.split(".")
    bad = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
    if len(parts) != 3:
        raise invalid_token(bad)
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
    except ValueError:
        raise invalid_token(bad) from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise invalid_token(bad)
    return Jwt(header, claims, f"{parts[0]}.{parts[1]}".encode(), b64url_decode(parts[2]))


def _int(value: Any) -> int:
    return int(b64url_decode(str(value)).hex() or "0", 16)


def _public_key(jwk: dict[str, Any]) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
    if jwk.get("kty") == "RSA":
        return rsa.RSAPublicNumbers(_int(jwk["e"]), _int(jwk["n"])).public_key()
    if jwk.get("kty") == "EC" and jwk.get("crv") in _CURVES:
        return ec.EllipticCurvePublicNumbers(_int(jwk["x"]), _int(jwk["y"]), _CURVES[jwk["crv"]]).public_key()
    raise invalid_token("The web identity token's signing key type is not supported.")


def verify_signature(token: Jwt, jwks: dict[str, Any]) -> bool:
    """Whether a key of ``jwks`` (its ``kid`` when the token names one) signed ``token``."""
    alg = str(token.header.get("alg", ""))
    if alg[:2] not in ("RS", "ES", "PS") or alg[2:] not in _HASHES:
        return False  # "none" and HMAC algorithms are never accepted: the key set is public
    digest = _HASHES[alg[2:]]()
    kid = token.header.get("kid")
    for jwk in jwks.get("keys", []):
        if not isinstance(jwk, dict) or (kid is not None and jwk.get("kid") != kid):
            continue
        if jwk.get("use", "sig") != "sig":
            continue
        try:
            key = _public_key(jwk)
            if isinstance(key, rsa.RSAPublicKey) and alg[:2] == "RS":
                key.verify(token.signature, token.signing_input, padding.PKCS1v15(), digest)
            elif isinstance(key, rsa.RSAPublicKey) and alg[:2] == "PS":
                pss = padding.PSS(padding.MGF1(digest), padding.PSS.DIGEST_LENGTH)
                key.verify(token.signature, token.signing_input, pss, digest)
            elif isinstance(key, ec.EllipticCurvePublicKey) and alg[:2] == "ES":
                half = len(token.signature) // 2
                r = int.from_bytes(token.signature[:half], "big")
                s = int.from_bytes(token.signature[half:], "big")
                key.verify(encode_dss_signature(r, s), token.signing_input, ec.ECDSA(digest))
            else:
                continue
            return True
        except (InvalidSignature, KeyError, ValueError, AwsError):
            continue
    return False


Fetch = Callable[[str], dict[str, Any]]


def http_fetch(url: str) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "strongroom-sts"})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:  # the provider's URL
        body = response.read(1 << 20)
    value = json.loads(body)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


class KeySets:
    """The issuers' JSON Web Key Sets, cached per issuer URL."""

    def __init__(self, fetch: Fetch = http_fetch) -> None:
        self.fetch = fetch
        self._cache: dict[str, tuple[dict[str, Any], float]] = {}
        self._lock = threading.Lock()

    def get(self, issuer: str, *, refresh: bool = False) -> dict[str, Any]:
        cached = self._cache.get(issuer)
        if cached is not None and not refresh and time.monotonic() < cached[1]:
            return cached[0]
        try:
            config = self.fetch(issuer.rstrip("/") + "/.well-known/openid-configuration")
            jwks = self.fetch(str(config["jwks_uri"]))
        except Exception:  # any network or format failure is the IdP's, as AWS words it
            raise idp_error(
                "Couldn't retrieve verification key from your identity provider,  please reference "
                "AssumeRoleWithWebIdentity documentation for requirements"
            ) from None
        with self._lock:
            self._cache[issuer] = (jwks, time.monotonic() + CACHE_SECONDS)
        return jwks

    def verify(self, issuer: str, token: Jwt) -> bool:
        if verify_signature(token, self.get(issuer)):
            return True
        kid = token.header.get("kid")
        cached = self._cache.get(issuer)
        known = kid is not None and cached is not None and any(k.get("kid") == kid for k in cached[0].get("keys", []))
        return not known and verify_signature(token, self.get(issuer, refresh=True))


def _time(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_token(f"The ID Token provided is not a valid JWT: '{name}' must be a number.")
    return float(value)


def _stamp(epoch: float) -> str:
    return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(epoch))


def check_times(claims: dict[str, Any], now: float) -> None:
    if "exp" not in claims:
        raise invalid_token("The ID Token provided is not a valid JWT: missing 'exp' claim.")
    exp = _time(claims["exp"], "exp")
    if now >= exp + LEEWAY:
        raise expired(
            f"Token expired: current date/time {_stamp(now)} must be before the expiration date/time {_stamp(exp)}"
        )
    if "nbf" in claims and now < _time(claims["nbf"], "nbf"):
        raise invalid_token("Token is not yet valid (nbf).")
    if "iat" in claims and _time(claims["iat"], "iat") > now + 300:
        raise invalid_token("Token issued in the future (iat).")


def audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [str(a) for a in aud]
    return []


def provider_key(url: str) -> str:
    """The provider's identity in its ARN and condition keys: the URL without scheme or trailing slash."""
    for scheme in ("https://", "http://"):
        if url.startswith(scheme):
            url = url[len(scheme) :]
            break
    return url.rstrip("/")
