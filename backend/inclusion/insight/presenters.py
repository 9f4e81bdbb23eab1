"""Statistics, recommendations and leaderboards as the API shows them: names and texts in the
caller's language, the statistics also as a spreadsheet."""

from __future__ import annotations

from backend.core.i18n import N_, _, pick
from backend.core.sheets import excel_csv
from backend.events.api import EventListItem, event_list_items
from backend.inclusion.insight.leaderboards import Leaderboard
from backend.inclusion.insight.recommendations import REASON_TEXTS, Recommendation
from backend.inclusion.insight.schemas import (
    GroupShares,
    LeaderboardMe,
    LeaderboardRead,
    LeaderboardRow,
    ParticipationRead,
    ParticipationRow,
    ReasonRead,
    RecommendationList,
    RecommendationRead,
)
from backend.inclusion.insight.statistics import (
    GROUPS,
    MIN_CELL,
    UNDECLARED,
    CommunityMonth,
    ParticipationReport,
    month_text,
)
from backend.inclusion.profiles.tables import ResidentGroup

GROUP_NAMES: dict[str, str] = {
    ResidentGroup.long_term_local.value: N_("Long-term locals"),
    ResidentGroup.new_resident.value: N_("New residents"),
    ResidentGroup.relocated_villager.value: N_("Relocated villagers"),
    ResidentGroup.migrant_worker.value: N_("Migrant workers"),
    ResidentGroup.foreign_resident.value: N_("Foreign residents"),
    UNDECLARED: N_("Not declared"),
}
SUPPRESSED_CELL = "<5"


# --- participation -----------------------------------------------------------------------------------


def _row_read(row: CommunityMonth) -> ParticipationRow:
    return ParticipationRow(
        community_id=row.community_id,
        community_name=pick(row.community_name)[0],
        month=month_text(row.month),
        participants=row.participants,
        attendances=row.attendances,
        people=row.people,
        repeat_participants=row.repeat_participants,
        youth_share=row.youth_share,
        groups=GroupShares(**row.groups),
        new_residents_days_to_first=row.new_residents_days_to_first,
        suppressed=row.suppressed,
    )


def participation_read(report: ParticipationReport) -> ParticipationRead:
    return ParticipationRead(
        scope_id=report.scope_id,
        scope_name=pick(report.scope_name)[0],
        scope_kind=report.scope_kind,  # type: ignore[arg-type]  # one of SCOPE_KINDS: _scope refuses others
        months=[month_text(m) for m in report.months],
        min_cell_size=MIN_CELL,
        rows=[_row_read(row) for row in report.rows],
    )


def recommendation_read(found: Recommendation, item: EventListItem) -> RecommendationRead:
    return RecommendationRead(
        event=item,
        score=found.score,
        reasons=[
            ReasonRead(code=code, text=_(REASON_TEXTS[code]))  # type: ignore[arg-type]  # a key of REASON_TEXTS: a ReasonCode
            for code in found.reasons
        ],
    )


async def recommendations_read(found: list[Recommendation], personalised: bool) -> RecommendationList:
    items = await event_list_items([r.row for r in found], [r.distance_m for r in found])
    return RecommendationList(
        items=[recommendation_read(r, item) for r, item in zip(found, items, strict=True)], personalised=personalised
    )


def leaderboard_read(board: Leaderboard) -> LeaderboardRead:
    rows = [
        LeaderboardRow(rank=place.rank, display_name=place.display_name or _("Neighbour"), value=place.value)
        for place in board.places
    ]
    me = LeaderboardMe(rank=board.me.rank, value=board.me.value) if board.me else None
    return LeaderboardRead(kind=board.kind, community_id=board.community_id, month=board.month, rows=rows, me=me)


# --- the spreadsheet -----------------------------------------------------------------------------------


def _cell(value: int | float | None, share: bool = False) -> str:
    if value is None:
        return SUPPRESSED_CELL
    if share:
        return f"{value * 100:.1f}%"
    return str(value) if isinstance(value, int) else f"{value:.1f}"


def report_csv(report: ParticipationReport) -> bytes:
    """Headers in the caller's language; a suppressed cell reads "<5"."""
    header = [
        _("Community"),
        _("Month"),
        _("Participants"),
        _("Attendances"),
        _("People"),
        _("Repeat participants"),
        _("Share aged 14–35"),
        *(_("Share of {group}").format(group=_(GROUP_NAMES[g])) for g in GROUPS),
        _("Median days from arrival to first event"),
    ]
    rows = [
        [
            pick(row.community_name)[0],
            month_text(row.month),
            _cell(row.participants),
            _cell(row.attendances),
            _cell(row.people),
            _cell(row.repeat_participants),
            _cell(row.youth_share, share=True),
            *(_cell(row.groups[g], share=True) for g in GROUPS),
            _cell(row.new_residents_days_to_first),
        ]
        for row in report.rows
    ]
    return excel_csv(header, rows)
