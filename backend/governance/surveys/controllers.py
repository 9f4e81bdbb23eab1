"""The API of governance surveys."""

from typing import Any

CONTROLLERS: tuple[Any, ...] = ()
