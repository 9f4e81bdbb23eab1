"""Monthly figures (age bands, volunteer hours, points earned and spent) as the API shows them:
the response bodies, the names in the caller's language, and the spreadsheet."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec

from backend.core.i18n import _, pick
from backend.core.sheets import excel_csv
from backend.inclusion.insight.monthly import AGE_BAND_NAMES, AGE_BANDS, MonthFigures, MonthlyReport
from backend.inclusion.insight.presenters import SUPPRESSED_CELL
from backend.inclusion.insight.schemas import MonthText
from backend.inclusion.insight.statistics import MIN_CELL, month_text

Count = Annotated[int | None, msgspec.Meta(description="null when suppressed (fewer than 5 people)", examples=[12])]


class AgeBandCounts(msgspec.Struct):
    """The month's participants by their age that year; a band of fewer than 5 is null."""

    under_14: Count
    youth: Annotated[int | None, msgspec.Meta(description="14 to 35", examples=[18])]
    middle: Annotated[int | None, msgspec.Meta(description="36 to 59", examples=[9])]
    senior: Annotated[int | None, msgspec.Meta(description="60 and over", examples=[21])]
    unknown: Annotated[int | None, msgspec.Meta(description="no birth year given", examples=[None])]


class MonthlyRow(msgspec.Struct):
    """One community in one month. A null value is a suppressed cell, named in ``suppressed``."""

    community_id: uuid.UUID
    community_name: str
    month: MonthText
    participants: Annotated[int | None, msgspec.Meta(description="distinct residents who attended", examples=[37])]
    age_bands: AgeBandCounts
    volunteer_hours: Annotated[
        float | None, msgspec.Meta(description="verified hours served for the community's teams", examples=[86.5])
    ]
    volunteers: Annotated[int | None, msgspec.Meta(description="volunteers who served them", examples=[14])]
    points_earned: Annotated[int | None, msgspec.Meta(description="points residents earned here", examples=[1240])]
    earners: Annotated[int | None, msgspec.Meta(description="residents who earned points here", examples=[52])]
    points_spent: Annotated[
        int | None, msgspec.Meta(description="points spent on rewards here, less refunds", examples=[960])
    ]
    spenders: Annotated[int | None, msgspec.Meta(description="residents who redeemed a reward here", examples=[8])]
    suppressed: Annotated[
        list[str],
        msgspec.Meta(
            description="cells hidden because they describe fewer than 5 people",
            examples=[["volunteer_hours", "volunteers", "age:under_14"]],
        ),
    ]


class MonthlyRead(msgspec.Struct):
    scope_id: uuid.UUID
    scope_name: str
    scope_kind: Literal["city", "district", "street", "community"]
    months: list[MonthText]
    min_cell_size: Annotated[
        int, msgspec.Meta(description="cells describing fewer people are suppressed", examples=[5])
    ]
    rows: list[MonthlyRow]


def _row_read(row: MonthFigures) -> MonthlyRow:
    return MonthlyRow(
        community_id=row.community_id,
        community_name=pick(row.community_name)[0],
        month=month_text(row.month),
        participants=row.participants,
        age_bands=AgeBandCounts(**row.age_bands),
        volunteer_hours=row.volunteer_hours,
        volunteers=row.volunteers,
        points_earned=row.points_earned,
        earners=row.earners,
        points_spent=row.points_spent,
        spenders=row.spenders,
        suppressed=row.suppressed,
    )


def monthly_read(report: MonthlyReport) -> MonthlyRead:
    return MonthlyRead(
        scope_id=report.scope_id,
        scope_name=pick(report.scope_name)[0],
        scope_kind=report.scope_kind,  # type: ignore[arg-type]  # one of SCOPE_KINDS: the report refuses others
        months=[month_text(m) for m in report.months],
        min_cell_size=MIN_CELL,
        rows=[_row_read(row) for row in report.rows],
    )


def _cell(value: int | float | None) -> str:
    if value is None:
        return SUPPRESSED_CELL
    return str(value) if isinstance(value, int) else f"{value:.1f}"


def monthly_csv(report: MonthlyReport) -> bytes:
    """Headers in the caller's language; a suppressed cell reads "<5"."""
    header = [
        _("Community"),
        _("Month"),
        _("Participants"),
        *(_(AGE_BAND_NAMES[band]) for band in AGE_BANDS),
        _("Volunteer hours"),
        _("Volunteers"),
        _("Points earned"),
        _("Residents who earned"),
        _("Points spent"),
        _("Residents who redeemed"),
    ]
    rows = [
        [
            pick(row.community_name)[0],
            month_text(row.month),
            _cell(row.participants),
            *(_cell(row.age_bands[band]) for band in AGE_BANDS),
            _cell(row.volunteer_hours),
            _cell(row.volunteers),
            _cell(row.points_earned),
            _cell(row.earners),
            _cell(row.points_spent),
            _cell(row.spenders),
        ]
        for row in report.rows
    ]
    return excel_csv(header, rows)
