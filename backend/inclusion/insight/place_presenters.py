"""Participation by estate and estate kind as the API shows it, and as a spreadsheet."""

from __future__ import annotations

from backend.core.i18n import _, pick
from backend.core.sheets import excel_csv
from backend.inclusion.insight.by_place import PlaceMonth, PlaceReport
from backend.inclusion.insight.place_schemas import (
    EstateParticipationRow,
    KindParticipationRow,
    PlaceParticipationRead,
)
from backend.inclusion.insight.presenters import SUPPRESSED_CELL
from backend.inclusion.insight.statistics import MIN_CELL, month_text
from backend.places.api import estate_kind_name


def _figures(row: PlaceMonth) -> dict[str, object]:
    return {
        "month": month_text(row.month),
        "residents": row.residents,
        "participants": row.participants,
        "attendances": row.attendances,
        "participation_rate": row.participation_rate,
        "suppressed": list(row.suppressed),
    }


def place_read(report: PlaceReport) -> PlaceParticipationRead:
    return PlaceParticipationRead(
        community_id=report.community_id,
        community_name=pick(report.community_name)[0],
        months=[month_text(m) for m in report.months],
        min_cell_size=MIN_CELL,
        estates=[
            EstateParticipationRow(
                **_figures(row.figures),  # type: ignore[arg-type]
                estate_id=row.estate.id,
                estate_name=pick(row.estate.name)[0],
                kind=row.estate.kind,  # type: ignore[arg-type]  # an EstateKind value
                kind_name=estate_kind_name(row.estate.kind),
            )
            for row in report.estates
        ],
        kinds=[
            KindParticipationRow(
                **_figures(row.figures),  # type: ignore[arg-type]
                kind=row.kind,  # type: ignore[arg-type]  # an EstateKind value
                kind_name=estate_kind_name(row.kind),
                estates=row.estates,
            )
            for row in report.kinds
        ],
    )


def _cell(value: int | float | None, share: bool = False) -> str:
    if value is None:
        return SUPPRESSED_CELL
    return f"{value * 100:.1f}%" if share else str(value)


def place_csv(report: PlaceReport) -> bytes:
    """One line per estate and month, then one per estate kind and month; "<5" where suppressed."""
    header = [
        _("Estate"),
        _("Estate kind"),
        _("Month"),
        _("Residents"),
        _("Participants"),
        _("Attendances"),
        _("Participation rate"),
    ]
    everyone = _("All estates of this kind")

    def cells(figures: PlaceMonth) -> list[str]:
        return [
            month_text(figures.month),
            _cell(figures.residents),
            _cell(figures.participants),
            _cell(figures.attendances),
            _cell(figures.participation_rate, share=True),
        ]

    rows = [[pick(r.estate.name)[0], estate_kind_name(r.estate.kind), *cells(r.figures)] for r in report.estates]
    rows += [[everyone, estate_kind_name(r.kind), *cells(r.figures)] for r in report.kinds]
    return excel_csv(header, rows)
