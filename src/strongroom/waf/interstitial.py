"""The endpoints the CAPTCHA and Challenge pages call, as one pure function any enforcement point can serve.

``Interstitials.answer(...)`` takes a request's parts (method, the path under the pages' endpoint, host, client
address, body, the cookies) and returns the answer (status, JSON body, extra headers): a challenge nonce, a CAPTCHA
image, or, for a right answer, the ``aws-waf-token`` cookie. The ASGI middleware (``asgi.py``) serves it under
``/.aws-waf/``; the API Gateway stage can serve the same under its own prefix with the same token key.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from strongroom.waf import puzzle, tokens

MAX_BODY = 4096


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: list[tuple[str, str]] = field(default_factory=list)

    def json(self) -> bytes:
        return json.dumps(self.body).encode()


@dataclass
class Interstitials:
    """Per process: the spent-nonce ledger and the per-client limiter live here. ``captcha_text`` is the puzzle
    generator (tests pass a known one; production keeps the random default)."""

    difficulty: int = puzzle.DEFAULT_DIFFICULTY
    captcha_text: Callable[[], str] = puzzle.random_text
    ledger: puzzle.NonceLedger = field(default_factory=puzzle.NonceLedger)
    limiter: puzzle.IssueLimiter = field(default_factory=puzzle.IssueLimiter)

    def answer(
        self,
        token_key: bytes | None,
        method: str,
        sub: str,
        *,
        host: str,
        client_ip: str,
        body: bytes | None,
        cookies: Iterable[tuple[str, str]],
        https: bool,
        now: float,
    ) -> Answer:
        """``sub``: the path under the endpoint (``/challenge``, ``/challenge/verify``, ``/captcha``,
        ``/captcha/verify``); ``body``: the POST body (None when larger than MAX_BODY)."""
        host = host.split(":", 1)[0].lower()
        if token_key is None or not host:
            return Answer(400, {"error": "no token key or host"})
        if not self.limiter.allow(client_ip, now):
            return Answer(429, {"error": "too many attempts; wait a little"})
        if method == "GET" and sub == "/challenge":
            made = puzzle.make_nonce(token_key, "challenge", host, now, difficulty=self.difficulty)
            return Answer(200, {"nonce": made, "difficulty": self.difficulty})
        if method == "GET" and sub == "/captcha":
            text = self.captcha_text()
            made = puzzle.make_nonce(token_key, "captcha", host, now, answer=text)
            image = "data:image/png;base64," + base64.b64encode(puzzle.render(text)).decode()
            return Answer(200, {"nonce": made, "image": image})
        if method == "POST" and sub in ("/challenge/verify", "/captcha/verify"):
            return self._verify(token_key, sub.split("/")[1], host, body, cookies, https, now)
        return Answer(404, {"error": "not found"})

    def _verify(
        self,
        key: bytes,
        kind: str,
        host: str,
        body: bytes | None,
        cookies: Iterable[tuple[str, str]],
        https: bool,
        now: float,
    ) -> Answer:
        try:
            payload = json.loads(body or b"{}") if body is not None and len(body) <= MAX_BODY else None
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return Answer(403, {"error": "invalid or expired puzzle"})
        nonce_text = str(payload.get("nonce", ""))
        nonce = puzzle.read_nonce(key, nonce_text, kind, host, now)
        if nonce is None:
            return Answer(403, {"error": "invalid or expired puzzle"})
        if kind == "challenge":
            ok = puzzle.work_done(nonce_text, str(payload.get("solution", "")), nonce.difficulty)
        else:
            ok = puzzle.answer_correct(key, nonce, str(payload.get("answer", "")))
        if not self.ledger.spend(nonce.nonce_id, now) or not ok:
            return Answer(403, {"error": "wrong answer" if kind == "captcha" else "invalid solution"})
        previous = None
        for name, value in cookies:
            if name == tokens.COOKIE:
                info = tokens.read_token(key, value)
                if info is not None and info.domain == host:
                    previous = info  # keep the other kind's solve time
        token = tokens.issue_token(key, host, kind, now, previous)
        secure = "; Secure" if https else ""
        return Answer(
            200, {"ok": True}, [("set-cookie", f"{tokens.COOKIE}={token}; Path=/; SameSite=Lax; HttpOnly{secure}")]
        )
