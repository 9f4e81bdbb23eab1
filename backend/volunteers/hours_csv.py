"""The coordinator's monthly ledger as CSV: the 台账 staff kept by hand, produced instead."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from backend.core.i18n import CITY_TZ, _
from backend.volunteers.hours import as_uuid, hours_of, team_entries
from backend.volunteers.hours_presenters import kind_name, status_name
from backend.volunteers.tables import HoursStatus

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Text that a spreadsheet would take for a formula gets a leading apostrophe; numbers stay."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _header() -> list[str]:
    return [
        _("Date"), _("Volunteer"), _("Real name (masked)"), _("Kind"), _("Minutes"), _("Hours"),
        _("Status"), _("Content"), _("Reason"), _("Decided by"), _("Decided at"),
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
        row["content"],
        row["reason"],
        row["decided_by_name"] or "",
        decided_at,
    ]


def hours_csv(rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a byte-order mark (Excel on a Chinese Windows then keeps 中文 intact): one row
    per entry, then one total row of verified hours per volunteer."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_header())
    totals: dict[uuid.UUID, list[Any]] = {}
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in _entry_cells(row)])
        person = totals.setdefault(as_uuid(row["user"]), [row["user_name"] or "", row["real_name_masked"] or "", 0])
        if row["status"] == HoursStatus.verified.value:
            person[2] += row["minutes"]
    for name, masked, minutes in sorted(totals.values(), key=lambda person: (person[0], person[1])):
        cells = ["", name, masked, _("Total verified"), minutes, hours_of(minutes), "", "", "", "", ""]
        writer.writerow([safe_cell(cell) for cell in cells])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


async def team_month_csv(*, user_id: uuid.UUID, team_id: uuid.UUID, month: str) -> bytes:
    """A team's entries served in one month (city dates), for its coordinators."""
    rows = await team_entries(user_id=user_id, team_id=team_id, month=month, limit=None, oldest_first=True)
    return hours_csv(rows)
