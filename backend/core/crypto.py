"""Sealing personal data at rest: real names and identity numbers are stored encrypted.

AES-256-GCM with a key derived from ``LINLI_SECRET_KEY`` (HKDF, its own purpose label), so a
database dump alone does not reveal them. A sealed value is ``v1.<nonce+ciphertext, base64>``.
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1"
NONCE_BYTES = 12


class SealBroken(ValueError):
    """A sealed value was altered, or sealed under another secret key."""


@lru_cache(maxsize=8)
def _cipher(secret_key: str, purpose: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"linli:{purpose}".encode()).derive(
        secret_key.encode()
    )
    return AESGCM(key)


def seal(text: str, *, secret_key: str, purpose: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(secret_key, purpose).encrypt(nonce, text.encode(), purpose.encode())
    return f"{VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def unseal(value: str, *, secret_key: str, purpose: str) -> str:
    try:
        version, body = value.split(".", 1)
        raw = base64.urlsafe_b64decode(body)
        if version != VERSION:
            raise ValueError(version)
        return _cipher(secret_key, purpose).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode()).decode()
    except (ValueError, InvalidTag) as error:
        raise SealBroken(purpose) from error
