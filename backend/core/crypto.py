"""Sealing personal data at rest: real names and identity numbers are stored encrypted.

AES-256-GCM under a data key of ``LINLI_DATA_KEYS``, which is not the key that signs tokens
(``LINLI_SECRET_KEY``): rotating the signing key ends every session and reveals or loses nothing,
and a data key can be rotated on its own (``linli rotate-keys`` re-seals every value under the
current one). Each purpose (real name, identity number) derives its own key from the data key
(HKDF), and the purpose is the AEAD's associated data, so a value cannot be moved to another field.

A sealed value names its key: ``v2.<key id>.<nonce+ciphertext, base64>``. Values sealed before
data keys existed (``v1.<…>``, under a key derived from the signing key) stay readable while that
signing key is unchanged; ``linli rotate-keys`` moves them under a data key too.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

LEGACY = "v1"
VERSION = "v2"
NONCE_BYTES = 12
KEY_BYTES = 32
# The key id used when no data key is configured (development and tests only: production
# refuses to start without LINLI_DATA_KEYS).
DERIVED_ID = "dev"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class SealBroken(ValueError):
    """A sealed value was altered, or sealed under a key that is not configured."""


class DataKeysInvalid(ValueError):
    """``LINLI_DATA_KEYS`` is not a list of ``id:base64`` keys of 32 bytes."""


@dataclass(frozen=True)
class DataKeys:
    """The data keys by id, the first sealing new values; and the signing key, for v1 values."""

    keys: tuple[tuple[str, bytes], ...]
    legacy_secret: str

    @property
    def current(self) -> str:
        return self.keys[0][0]

    def key(self, key_id: str) -> bytes:
        for known, key in self.keys:
            if known == key_id:
                return key
        raise SealBroken(f"no data key {key_id!r} is configured")

    @classmethod
    def parse(cls, configured: str, *, secret_key: str) -> DataKeys:
        """From ``LINLI_DATA_KEYS`` (``id:base64,id:base64``); empty: one key derived from the
        signing key, for development."""
        if not configured.strip():
            return cls(keys=((DERIVED_ID, _derive(secret_key.encode(), "data-key")),), legacy_secret=secret_key)
        keys: list[tuple[str, bytes]] = []
        for part in configured.split(","):
            key_id, _, encoded = part.strip().partition(":")
            try:
                key = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise DataKeysInvalid(f"the data key {key_id!r} is not base64") from None
            if not _KEY_ID.match(key_id) or len(key) != KEY_BYTES:
                raise DataKeysInvalid(f"a data key is an id of letters and digits and {KEY_BYTES} bytes: {key_id!r}")
            if any(known == key_id for known, _ in keys):
                raise DataKeysInvalid(f"the data key id {key_id!r} is used twice")
            keys.append((key_id, key))
        return cls(keys=tuple(keys), legacy_secret=secret_key)


def new_data_key() -> str:
    """A fresh key for ``LINLI_DATA_KEYS`` (base64 of 32 random bytes)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def _derive(material: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=f"linli:{purpose}".encode()).derive(
        material
    )


@lru_cache(maxsize=64)
def _cipher(material: bytes, purpose: str) -> AESGCM:
    return AESGCM(_derive(material, purpose))


def seal(text: str, *, keys: DataKeys, purpose: str) -> str:
    """``text`` sealed under the current data key, for this purpose only."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(keys.key(keys.current), purpose).encrypt(nonce, text.encode(), purpose.encode())
    return f"{VERSION}.{keys.current}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def unseal(value: str, *, keys: DataKeys, purpose: str) -> str:
    try:
        version, rest = value.split(".", 1)
        if version == VERSION:
            key_id, body = rest.split(".", 1)
            material = keys.key(key_id)
        elif version == LEGACY:
            body, material = rest, keys.legacy_secret.encode()
        else:
            raise ValueError(version)
        raw = base64.urlsafe_b64decode(body)
        return _cipher(material, purpose).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode()).decode()
    except (ValueError, InvalidTag) as error:
        raise SealBroken(purpose) from error


def sealed_under_current(value: str, keys: DataKeys) -> bool:
    """Whether ``value`` is already sealed under the current data key (rotation skips it)."""
    return value.startswith(f"{VERSION}.{keys.current}.")


def reseal(value: str, *, keys: DataKeys, purpose: str) -> str:
    """The same text sealed under the current data key."""
    return seal(unseal(value, keys=keys, purpose=purpose), keys=keys, purpose=purpose)
