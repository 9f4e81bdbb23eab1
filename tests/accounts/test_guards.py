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


async def test_requires_login() -> None:
    await requires_login(connection(RESIDENT), None)  # type: ignore[arg-type]
    with pytest.raises(DomainError) as raised:
        await requires_login(connection(None), None)  # type: ignore[arg-type]
    assert raised.value.status == 401


async def test_requires_staff() -> None:
    await requires_staff(connection(STAFF), None)  # type: ignore[arg-type]
    with pytest.raises(DomainError) as raised:
        await requires_staff(connection(RESIDENT), None)  # type: ignore[arg-type]
    assert (raised.value.status, raised.value.code) == (403, "staff_only")
    with pytest.raises(DomainError) as raised:
        await requires_staff(connection(None), None)  # type: ignore[arg-type]
    assert raised.value.status == 401


ON_A_TEMPORARY_PASSWORD = Principal(
    id=uuid.uuid4(), kind="staff", locale=None, display_name="新同事", must_change_password=True
)


async def test_requires_staff_waits_for_a_password_of_ones_own() -> None:
    with pytest.raises(DomainError) as raised:
        await requires_staff(connection(ON_A_TEMPORARY_PASSWORD), SimpleNamespace(opt={}))  # type: ignore[arg-type]
    assert (raised.value.status, raised.value.code) == (403, "password_change_required")
    # Choosing one's own password is the one staff operation left open.
    chooser = SimpleNamespace(opt={BEFORE_PASSWORD_CHANGE: True})
    await requires_staff(connection(ON_A_TEMPORARY_PASSWORD), chooser)  # type: ignore[arg-type]
    await requires_login(connection(ON_A_TEMPORARY_PASSWORD), None)  # type: ignore[arg-type]
    await requires_staff(connection(STAFF), SimpleNamespace(opt={}))  # type: ignore[arg-type]


def test_every_guard_is_a_coroutine() -> None:
    """Litestar runs a plain function guard in a worker thread: a thread hop on every request."""
    import inspect

    from backend.app import create_app

    app = create_app()
    guards = [
        (route.path, guard)
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        for layer in handler.ownership_layers
        for guard in layer.guards or []
    ]
    assert len(guards) > 100  # the API's and the console's
    plain = {f"{path} {guard.__qualname__}" for path, guard in guards if not inspect.iscoroutinefunction(guard)}
    assert not plain, sorted(plain)
