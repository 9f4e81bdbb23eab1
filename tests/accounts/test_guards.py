"""The guards on handlers, as plain functions."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from backend.core.auth import BEFORE_PASSWORD_CHANGE, requires_login, requires_staff
from backend.core.context import Principal
from backend.core.errors import DomainError


def connection(user: Principal | None) -> Any:
    return SimpleNamespace(scope={"user": user})


RESIDENT = Principal(id=uuid.uuid4(), kind="resident", locale=None, display_name="居民")
STAFF = Principal(id=uuid.uuid4(), kind="staff", locale="en", display_name="Staff")


def test_requires_login() -> None:
    requires_login(connection(RESIDENT), None)  # type: ignore[arg-type]
    with pytest.raises(DomainError) as raised:
        requires_login(connection(None), None)  # type: ignore[arg-type]
    assert raised.value.status == 401


def test_requires_staff() -> None:
    requires_staff(connection(STAFF), None)  # type: ignore[arg-type]
    with pytest.raises(DomainError) as raised:
        requires_staff(connection(RESIDENT), None)  # type: ignore[arg-type]
    assert (raised.value.status, raised.value.code) == (403, "staff_only")
    with pytest.raises(DomainError) as raised:
        requires_staff(connection(None), None)  # type: ignore[arg-type]
    assert raised.value.status == 401


ON_A_TEMPORARY_PASSWORD = Principal(
    id=uuid.uuid4(), kind="staff", locale=None, display_name="新同事", must_change_password=True
)


def test_requires_staff_waits_for_a_password_of_ones_own() -> None:
    with pytest.raises(DomainError) as raised:
        requires_staff(connection(ON_A_TEMPORARY_PASSWORD), SimpleNamespace(opt={}))  # type: ignore[arg-type]
    assert (raised.value.status, raised.value.code) == (403, "password_change_required")
    # Choosing one's own password is the one staff operation left open.
    chooser = SimpleNamespace(opt={BEFORE_PASSWORD_CHANGE: True})
    requires_staff(connection(ON_A_TEMPORARY_PASSWORD), chooser)  # type: ignore[arg-type]
    requires_login(connection(ON_A_TEMPORARY_PASSWORD), None)  # type: ignore[arg-type]
    requires_staff(connection(STAFF), SimpleNamespace(opt={}))  # type: ignore[arg-type]
