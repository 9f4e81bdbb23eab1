"""The coordinator's monthly ledger as CSV: the 台账 staff kept by hand, produced instead."""

from __future__ import annotations

import uuid
from typing import Any

from backend.core.i18n import CITY_TZ, _
from backend.core.sheets import excel_csv
from backend.core.values import as_uuid, hours_of
from backend.volunteers.hours.presenters import entry_content, kind_name, status_name
from backend.volunteers.hours.tables import HoursStatus


def _header() -> list[str]:
    return [
        _("Date"),
        _("Volunteer"),
        _("Real name (masked)"),
        _("Kind"),
        _("Minutes"),
        _("Hours"),
        _("Status"),
        _("Content"),
        _("Reason"),
        _("Decided by"),
        _("Decided at"),
    ]


def _entry_cells(row: dict[str, Any]) -> list[object]:
    decided_at = row["decided_at"].astimezone(CITY_TZ).strftime("%Y-%m-%d %H:%M") if row["decided_at"] else ""
    return [
        row["service_date"].isoformat(),
        row["user_name"] or "",
        row["real_name_masked"] or "",
        kind_name(row["kind"]),
        row["minutes"],
        hours_of(row["minutes"]),
        status_name(row["status"]),
        entry_content(row),
        row["reason"],
        row["decided_by_name"] or "",
        decided_at,
    ]


def hours_csv(rows: list[dict[str, Any]]) -> bytes:
    """One row per entry, then one total row of verified hours per volunteer."""
    totals: dict[uuid.UUID, list[Any]] = {}
    for row in rows:
        person = totals.setdefault(as_uuid(row["user"]), [row["user_name"] or "", row["real_name_masked"] or "", 0])
        if row["status"] == HoursStatus.verified.value:
            person[2] += row["minutes"]
    total_rows = [
        ["", name, masked, _("Total verified"), minutes, hours_of(minutes), "", "", "", "", ""]
        for name, masked, minutes in sorted(totals.values(), key=lambda person: (person[0], person[1]))
    ]
    return excel_csv(_header(), [*(_entry_cells(row) for row in rows), *total_rows])
