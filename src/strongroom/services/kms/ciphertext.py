"""The symmetric ciphertext blob and the per-call key derivation.

Layout (all lengths in bytes; documented in docs/kms.md):

    version   1   0x01
    account  12   ASCII digits of the key's account
    id_len    1   length of the key id
    key_id    n   ASCII key id (a UUID, or mrk-... for multi-Region keys)
    material 32   id of the backing key version (raw bytes of CurrentKeyMaterialId)
    salt     16   random, the KDF context: a fresh AES key for every call
    iv       12   random AES-GCM nonce
    body      *   AES-256-GCM ciphertext followed by its 16-byte tag

The header and the canonical encryption context are the GCM associated data, so a changed header or a
different context fails authentication. Because each call derives its own key (NIST SP 800-108 counter
mode with HMAC-SHA256), no AES key is ever used for more than one message, far from GCM's nonce limits.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.kbkdf import KBKDFHMAC, CounterLocation, Mode

VERSION = 1
_LABEL = b"strongroom kms symmetric v1"
_MATERIAL = 32
_SALT = 16
_IV = 12
_TAG = 16


class MalformedCiphertext(Exception):
    """Not a blob this format can read, or it failed authentication."""


@dataclass(frozen=True, slots=True)
class Header:
    account_id: str
    key_id: str
    material_id: str  # hex

    def encode(self) -> bytes:
        key_id = self.key_id.encode("ascii")
        return (
            bytes([VERSION])
            + self.account_id.encode("ascii")
            + bytes([len(key_id)])
            + key_id
            + bytes.fromhex(self.material_id)
        )


def parse_header(blob: bytes) -> tuple[Header, int]:
    """The header and where the salt starts; raises MalformedCiphertext on anything unexpected."""
    if len(blob) < 1 + 12 + 1 or blob[0] != VERSION:
        raise MalformedCiphertext("unknown ciphertext version")
    account = blob[1:13]
    id_len = blob[13]
    end = 14 + id_len
    if not account.isdigit() or id_len == 0 or len(blob) < end + _MATERIAL + _SALT + _IV + _TAG:
        raise MalformedCiphertext("truncated ciphertext")
    try:
        key_id = blob[14:end].decode("ascii")
    except UnicodeDecodeError as exc:
        raise MalformedCiphertext("bad key id") from exc
    material = blob[end : end + _MATERIAL].hex()
    return Header(account.decode(), key_id, material), end + _MATERIAL


def canonical_context(context: dict[str, str] | None) -> bytes:
    """An unambiguous encoding of the encryption context: sorted pairs, each part length-prefixed."""
    if not context:
        return b""
    out = bytearray()
    for key in sorted(context):
        for part in (key.encode(), context[key].encode()):
            out += len(part).to_bytes(4, "big") + part
    return bytes(out)


_COUNTER_1 = (1).to_bytes(4, "big")
_LENGTH_BITS = (256).to_bytes(4, "big")


def _derive(material: bytes, salt: bytes) -> bytes:
    """SP 800-108 counter mode, HMAC-SHA256, one 32-byte block: HMAC(K, [1] || label || 0x00 || salt || [256]).

    Byte for byte what ``kbkdf_reference`` (cryptography's KBKDFHMAC) derives — a unit test holds them
    equal — in one C call instead of building a KDF object per Encrypt/Decrypt.
    """
    return hmac.digest(material, _COUNTER_1 + _LABEL + b"\x00" + salt + _LENGTH_BITS, "sha256")


def kbkdf_reference(material: bytes, salt: bytes) -> bytes:
    kdf = KBKDFHMAC(
        algorithm=hashes.SHA256(),
        mode=Mode.CounterMode,
        length=32,
        rlen=4,
        llen=4,
        location=CounterLocation.BeforeFixed,
        label=_LABEL,
        context=salt,
        fixed=None,
    )
    return kdf.derive(material)


def seal(header: Header, material: bytes, plaintext: bytes, context: dict[str, str] | None) -> bytes:
    head = header.encode()
    salt = os.urandom(_SALT)
    iv = os.urandom(_IV)
    body = AESGCM(_derive(material, salt)).encrypt(iv, plaintext, head + salt + iv + canonical_context(context))
    return head + salt + iv + body


def open_blob(blob: bytes, offset: int, material: bytes, context: dict[str, str] | None) -> bytes:
    salt = blob[offset : offset + _SALT]
    iv = blob[offset + _SALT : offset + _SALT + _IV]
    body = blob[offset + _SALT + _IV :]
    try:
        return AESGCM(_derive(material, salt)).decrypt(
            iv, body, blob[: offset + _SALT + _IV] + canonical_context(context)
        )
    except InvalidTag as exc:
        raise MalformedCiphertext("authentication failed") from exc
