"""The solving side of CAPTCHA and Challenge: signed one-time puzzles, a proof of work, a distorted-text image.

- Challenge: the page asks for a nonce, finds ``n`` such that SHA-256(``nonce:n``) starts with ``difficulty`` zero
  bits (a few tens of thousands of hashes: nothing for one browser, a cost per request for a bot farm), and posts it.
- CAPTCHA: the page shows a PNG of five distorted characters drawn here, server-side, from a 5x7 bitmap font with
  per-glyph jitter, a sine warp, noise pixels and strike lines; the person types them.

A nonce is ``base64url(json) "." base64url(HMAC-SHA256(k, json))`` under a key derived from the web ACL's token key
(never the token key itself, so a nonce can never pass as an ``aws-waf-token``). The CAPTCHA answer is in the nonce
only as an HMAC under that key, so the client cannot read it. Single use is the caller's job (``NonceLedger``):
a wrong answer burns the puzzle, so each guess costs a fresh image.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import random
import secrets
import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass

NONCE_TTL = 300  # seconds a puzzle may be answered after it was handed out
DEFAULT_DIFFICULTY = 14  # leading zero bits of SHA-256: ~16k hashes on average
ALPHABET = "ACDEFHJKLMNPRTUVWXY34679"  # no 0/O, 1/I, 5/S, 8/B, 2/Z look-alikes
ANSWER_LENGTH = 5

# 5x7 glyphs, one string of 7 rows of 5 pixels each ("#" on)
_FONT = {
    "A": ".###.#...##...#######...##...##...#",
    "C": ".#####....#....#....#....#.....####",
    "D": "####.#...##...##...##...##...#####.",
    "E": "######....#....####.#....#....#####",
    "F": "######....#....####.#....#....#....",
    "H": "#...##...##...#######...##...##...#",
    "J": "..###...#....#....#....##..#..##...",
    "K": "#...##..#.#.#..##...#.#..#..#.#...#",
    "L": "#....#....#....#....#....#....#####",
    "M": "#...###.###.#.##...##...##...##...#",
    "N": "#...###..##.#.##..###...##...##...#",
    "P": "####.#...##...#####.#....#....#....",
    "R": "####.#...##...#####.#.#..#..#.#...#",
    "T": "#####..#....#....#....#....#....#..",
    "U": "#...##...##...##...##...##...#.###.",
    "V": "#...##...##...##...##...#.#.#...#..",
    "W": "#...##...##...##.#.##.#.###.###...#",
    "X": "#...##...#.#.#...#...#.#.#...##...#",
    "Y": "#...##...#.#.#...#....#....#....#..",
    "3": "####.....#....#.###.....#....#####.",
    "4": "...#...##..#.#.#..#.#####...#....#.",
    "6": "..##..#...#....####.#...##...#.###.",
    "7": "#####....#...#...#...#....#....#...",
    "9": ".###.#...##...#.####....#...#..##..",
}


def _enc(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _dec(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def puzzle_key(token_key: bytes) -> bytes:
    return hmac.new(token_key, b"strongroom-waf-puzzle-v1", hashlib.sha256).digest()


def _answer_mac(key: bytes, nonce_id: str, answer: str) -> str:
    return _enc(hmac.new(key, f"{nonce_id}:{answer.strip().upper()}".encode(), hashlib.sha256).digest())


@dataclass(frozen=True)
class Nonce:
    kind: str  # "challenge" | "captcha"
    domain: str
    issued: int
    nonce_id: str
    difficulty: int = 0
    answer_mac: str = ""


def make_nonce(
    token_key: bytes, kind: str, domain: str, now: float, *, difficulty: int = 0, answer: str | None = None
) -> str:
    key = puzzle_key(token_key)
    nonce_id = secrets.token_hex(12)
    payload: dict[str, object] = {"k": kind, "d": domain.lower(), "t": int(now), "n": nonce_id}
    if kind == "challenge":
        payload["z"] = difficulty
    if answer is not None:
        payload["a"] = _answer_mac(key, nonce_id, answer)
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return f"{_enc(body)}.{_enc(hmac.new(key, body, hashlib.sha256).digest())}"


def read_nonce(token_key: bytes, text: str, kind: str, domain: str, now: float) -> Nonce | None:
    """The nonce if its signature verifies, it is of ``kind`` for ``domain`` and not older than NONCE_TTL."""
    key = puzzle_key(token_key)
    try:
        body_text, sig_text = text.split(".", 1)
        body, sig = _dec(body_text), _dec(sig_text)
    except (ValueError, AttributeError):
        return None
    if not hmac.compare_digest(sig, hmac.new(key, body, hashlib.sha256).digest()):
        return None
    try:
        data = json.loads(body)
        nonce = Nonce(
            str(data["k"]),
            str(data["d"]),
            int(data["t"]),
            str(data["n"]),
            int(data.get("z", 0)),
            str(data.get("a", "")),
        )
    except (ValueError, KeyError, TypeError):
        return None
    if nonce.kind != kind or nonce.domain != domain.lower() or not (0 <= now - nonce.issued <= NONCE_TTL):
        return None
    return nonce


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def work_done(nonce_text: str, solution: str, difficulty: int) -> bool:
    if not solution or len(solution) > 32:
        return False
    return leading_zero_bits(hashlib.sha256(f"{nonce_text}:{solution}".encode()).digest()) >= difficulty


def answer_correct(token_key: bytes, nonce: Nonce, answer: str) -> bool:
    if not nonce.answer_mac or not isinstance(answer, str) or len(answer) > 32:
        return False
    return hmac.compare_digest(nonce.answer_mac, _answer_mac(puzzle_key(token_key), nonce.nonce_id, answer))


class NonceLedger:
    """Nonces already answered (rightly or wrongly), remembered until they expire anyway: each puzzle is used once.

    Per process: with several proxy processes a nonce could be tried once in each (bounded by their number)."""

    def __init__(self, max_entries: int = 200_000) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def spend(self, nonce_id: str, now: float) -> bool:
        """True the first time ``nonce_id`` is spent, False after."""
        with self._lock:
            while self._seen:
                oldest_id, at = next(iter(self._seen.items()))
                if now - at <= NONCE_TTL and len(self._seen) < self._max:
                    break
                del self._seen[oldest_id]
            if nonce_id in self._seen:
                return False
            self._seen[nonce_id] = now
            return True


class IssueLimiter:
    """Puzzles and verifications per client address: a token bucket (``burst``, refilled ``rate`` a second), so one
    client cannot keep the event loop drawing images or checking answers. Least recently seen addresses are
    forgotten past ``max_clients``."""

    def __init__(self, burst: float = 20, rate: float = 0.5, max_clients: int = 100_000) -> None:
        self.burst, self.rate, self.max_clients = burst, rate, max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, client: str, now: float) -> bool:
        with self._lock:
            tokens, at = self._buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + max(0.0, now - at) * self.rate)  # a clock stepping back refills nothing
            allowed = tokens >= 1
            self._buckets[client] = (tokens - 1 if allowed else tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            return allowed


def random_text() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(ANSWER_LENGTH))


# --- the image ------------------------------------------------------------------------------------------------

_SCALE = 5
_W, _H = 220, 70


def _png(width: int, height: int, rows: list[bytearray]) -> bytes:
    raw = b"".join(b"\x00" + bytes(r) for r in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def render(text: str, seed: int | None = None) -> bytes:
    """A greyscale PNG of ``text``: glyphs jittered and sheared, the whole warped by a sine, noise on top.

    Drawn in runs (one slice assignment per glyph cell row) and with the speckle made by ``bytes.translate``, so a
    puzzle costs about a millisecond: the endpoint serving it runs on the event loop."""
    rnd: random.Random = secrets.SystemRandom() if seed is None else random.Random(seed)
    # background: ~6% of the pixels speckled with greys 120..219, the rest light
    table = bytes(120 + (i * 7) % 100 if i < 16 else 235 for i in range(256))
    canvas = [bytearray(rnd.randbytes(_W).translate(table)) for _ in range(_H)]
    phase, amplitude, period = rnd.uniform(0, 6.28), rnd.uniform(1.5, 3.0), rnd.uniform(40, 60)
    x0 = 12
    for ch in text:
        glyph = _FONT[ch]
        shear = rnd.uniform(-0.2, 0.2)
        y0 = rnd.randint(8, _H - 7 * _SCALE - 8)
        run = bytes([rnd.randrange(0, 70)]) * _SCALE
        for gy in range(7):
            for gx in range(5):
                if glyph[gy * 5 + gx] != "#":
                    continue
                for sy in range(_SCALE):
                    py = y0 + gy * _SCALE + sy
                    px = x0 + gx * _SCALE + int(shear * (py - y0 - 17))
                    py += int(amplitude * math.sin(px / period * 6.28 + phase))
                    if 0 <= py < _H and px >= 0 and px + _SCALE <= _W:
                        canvas[py][px : px + _SCALE] = run
        x0 += 5 * _SCALE + rnd.randint(7, 14)
    for _ in range(3):  # strike lines across the text
        y, slope, shade = rnd.uniform(15, _H - 15), rnd.uniform(-0.25, 0.25), rnd.randrange(40, 110)
        for px in range(_W):
            py = int(y + slope * px)
            if 0 <= py < _H:
                canvas[py][px] = shade
    return _png(_W, _H, canvas)
