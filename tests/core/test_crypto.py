"""Sealed personal data: under data keys that are not the signing key, named in each value, so a
signing key can change and a data key can be rotated without losing a name."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backend.core import crypto
from backend.core.crypto import DataKeys, SealBroken
from backend.settings import Settings, SettingsError

SIGNING = "a-signing-key-that-is-long-enough-0123456789"


def key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def legacy_seal(text: str, secret_key: str, purpose: str) -> str:
    """How values were sealed before data keys (v1: a key derived from the signing key)."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"linli:{purpose}".encode()).derive(
        secret_key.encode()
    )
    nonce = os.urandom(12)
    sealed = AESGCM(derived).encrypt(nonce, text.encode(), purpose.encode())
    return "v1." + base64.urlsafe_b64encode(nonce + sealed).decode()


def test_a_value_names_its_key_and_opens_only_for_its_purpose() -> None:
    keys = DataKeys.parse(f"k1:{key()}", secret_key=SIGNING)
    sealed = crypto.seal("张晓明", keys=keys, purpose="real_name")
    assert sealed.startswith("v2.k1.") and "张" not in sealed
    assert crypto.unseal(sealed, keys=keys, purpose="real_name") == "张晓明"
    with pytest.raises(SealBroken):
        crypto.unseal(sealed, keys=keys, purpose="id_number")  # moved to another field: refused
    with pytest.raises(SealBroken):
        crypto.unseal(sealed[:-4] + "AAAA", keys=keys, purpose="real_name")  # altered


def test_changing_the_signing_key_loses_no_sealed_value() -> None:
    data = f"k1:{key()}"
    sealed = crypto.seal("李华明", keys=DataKeys.parse(data, secret_key=SIGNING), purpose="real_name")
    after = DataKeys.parse(data, secret_key="another-signing-key-0123456789abcdefgh")
    assert crypto.unseal(sealed, keys=after, purpose="real_name") == "李华明"


def test_rotation_reads_the_old_key_and_seals_under_the_new() -> None:
    old, new = key(), key()
    before = DataKeys.parse(f"k1:{old}", secret_key=SIGNING)
    sealed = crypto.seal("320582199001011234", keys=before, purpose="id_number")
    during = DataKeys.parse(f"k2:{new},k1:{old}", secret_key=SIGNING)  # the new key first, the old kept
    assert not crypto.sealed_under_current(sealed, during)
    again = crypto.reseal(sealed, keys=during, purpose="id_number")
    assert again.startswith("v2.k2.") and crypto.sealed_under_current(again, during)
    after = DataKeys.parse(f"k2:{new}", secret_key=SIGNING)  # the old key gone
    assert crypto.unseal(again, keys=after, purpose="id_number") == "320582199001011234"
    with pytest.raises(SealBroken):
        crypto.unseal(sealed, keys=after, purpose="id_number")  # not re-sealed: unreadable, as it should be


def test_values_sealed_before_data_keys_still_open_and_move_under_one() -> None:
    old = legacy_seal("王小明", SIGNING, "real_name")
    keys = DataKeys.parse(f"k1:{key()}", secret_key=SIGNING)
    assert crypto.unseal(old, keys=keys, purpose="real_name") == "王小明"
    assert crypto.reseal(old, keys=keys, purpose="real_name").startswith("v2.k1.")


def test_malformed_keys_are_refused_and_production_needs_its_own() -> None:
    for bad in (
        "k1",
        "k1:not base64!",
        f"k 1:{key()}",
        "k1:" + base64.b64encode(b"short").decode(),
        f"k1:{key()},k1:{key()}",
    ):
        with pytest.raises(SettingsError, match="LINLI_DATA_KEYS"):
            Settings.from_env({}, data_keys=bad)
    production = {
        "env": "production",
        "secret_key": SIGNING,
        "dev_login": False,
        "wechat_appid": "wx",
        "wechat_secret": "s",
    }
    with pytest.raises(SettingsError, match="LINLI_DATA_KEYS is required"):
        Settings.from_env({}, **production)
    assert Settings.from_env({}, **production, data_keys=f"k1:{key()}").sealing_keys.current == "k1"
