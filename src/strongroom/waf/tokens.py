"""The ``aws-waf-token`` cookie: an HMAC-signed record of when this client last solved a CAPTCHA / challenge.

Format: ``base64url(json payload) "." base64url(HMAC-SHA256(key, payload))`` where the payload holds the
token's domain and the solve timestamps (``captcha``, ``challenge``; a CAPTCHA solve also counts as a
challenge solve, as AWS documents). The key is supplied by the caller, never stored here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

COOKIE = "aws-waf-token"
DEFAULT_IMMUNITY = 300


def _enc(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _dec(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(key: bytes, domain: str, kind: str, now: float, previous: TokenInfo | None = None) -> str:
    """A token for ``domain`` recording a solve of ``kind`` ("captcha" or "challenge") at ``now``."""
    if kind not in ("captcha", "challenge"):
        raise ValueError("kind is captcha or challenge")
    payload = {
        "d": domain.lower(),
        "captcha": previous.captcha if previous else None,
        "challenge": previous.challenge if previous else None,
    }
    payload[kind] = int(now)
    if kind == "captcha":
        payload["challenge"] = int(now)
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    sig = hmac.new(key, body, hashlib.sha256).digest()
    return f"{_enc(body)}.{_enc(sig)}"


@dataclass(frozen=True)
class TokenInfo:
    domain: str
    captcha: int | None
    challenge: int | None


def read_token(key: bytes, token: str) -> TokenInfo | None:
    """The token's content if its signature verifies, else None (forged, truncated, garbage)."""
    try:
        body_text, sig_text = token.split(".", 1)
        body, sig = _dec(body_text), _dec(sig_text)
    except ValueError:
        return None
    if not hmac.compare_digest(sig, hmac.new(key, body, hashlib.sha256).digest()):
        return None
    try:
        data = json.loads(body)
        return TokenInfo(str(data["d"]), data.get("captcha"), data.get("challenge"))
    except (ValueError, KeyError, TypeError):
        return None


def domain_accepted(token_domain: str, host: str, token_domains: list[str]) -> bool:
    """A token is good for the host it was issued for, or for any host under a domain the web ACL lists in
    TokenDomains when the token was issued for one of those."""
    if token_domain == host:
        return True
    for d in token_domains:
        d = d.lower()
        if (token_domain in (d,) or token_domain.endswith("." + d)) and (host == d or host.endswith("." + d)):
            return True
    return False


def token_state(
    key: bytes | None,
    cookie: str | None,
    host: str,
    token_domains: list[str],
    kind: str,
    immunity: int,
    now: float,
) -> str:
    """ "absent", "rejected" (forged / other domain), "expired", or "accepted"."""
    if not cookie:
        return "absent"
    if key is None:
        return "rejected"
    info = read_token(key, cookie)
    if info is None or not domain_accepted(info.domain, host, token_domains):
        return "rejected"
    solved = info.captcha if kind == "captcha" else info.challenge
    if solved is None or now - solved > immunity:
        return "expired"
    return "accepted"
