"""Notifications' tables (being written)."""

from __future__ import annotations

from piccolo.table import Table

TABLES: tuple[type[Table], ...] = ()
