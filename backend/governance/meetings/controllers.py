"""The API of governance meetings."""

from typing import Any

CONTROLLERS: tuple[Any, ...] = ()
