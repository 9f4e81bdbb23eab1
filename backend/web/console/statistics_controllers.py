"""The statistics room (``/console/statistics``): for a community and a range of months, charts
of participation (participants, by resident group, by age band), volunteer hours, and points
earned and spent, each with its spreadsheet beside it.

The figures come from the inclusion API's reports, the same the API's ``/api/v1/stats/…``
answer (``view_statistics`` checked by them, small cells already hidden there); the room only
draws them (``statistics_charts``). A hidden cell is drawn as such, hatched and marked "<5", never
as a number. The spreadsheets are the API's exports, so downloading one is audited as there."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

import anyio
from babel.dates import format_skeleton
from litestar import Controller, Request, Response, get
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.handlers import BaseRouteHandler
from litestar.response import Template

from backend.accounts.api import Permission, held_permissions
from backend.core import clock
from backend.core.context import Principal
from backend.core.errors import DomainError, Forbidden, NotFound, PendingFieldProblem, explain
from backend.core.i18n import N_, _, babel_locale, get_locale, pick, use_locale
from backend.inclusion import api as stats
from backend.web.console.edge import FIELD_LABELS, FormRefused, page, provide_me, signed_in, staff
from backend.web.console.statistics_charts import PALETTE, Series, bar_chart, stacked_chart

ROOT = "/console/statistics"
MONTH = re.compile(r"^(19|20)\d{2}-(0[1-9]|1[0-2])$")
SPENT_COLOUR = "#D55E00"
HIDDEN = N_("Fewer than 5 people: hidden to protect their privacy")


async def reads_statistics(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """The room's door: ``view_statistics`` somewhere (each report checks its community again)."""
    if Permission.view_statistics not in await held_permissions(staff(connection).id):
        raise Forbidden()


def _month(name: str, value: str | None) -> str | None:
    """A month as typed (``YYYY-MM``, what ``<input type=month>`` sends); else the field's refusal."""
    text = (value or "").strip()
    if not text:
        return None
    if not MONTH.match(text):
        raise FormRefused([PendingFieldProblem(name, N_("Give a month as YYYY-MM."), "month_invalid", {})])
    return text


def _range_marked(error: DomainError) -> DomainError:
    if error.code in ("stats_range_invalid", "stats_range_too_long") and not getattr(error, "problems", None):
        error.problems = [PendingFieldProblem("to", error.message, error.code, error.params)]  # type: ignore[attr-defined]
    return error


async def _communities(me: Principal) -> list[dict[str, Any]]:
    found = await stats.statistics_communities(user_id=me.id)
    return sorted(({"id": c.id, "name": pick(c.name)[0]} for c in found), key=lambda c: (c["name"], str(c["id"])))


def _chosen(communities: list[dict[str, Any]], asked: str | None) -> dict[str, Any] | None:
    for community in communities:
        if str(community["id"]) == (asked or "").strip():
            return community
    if asked and asked.strip():
        raise NotFound("community_not_found", N_("This community does not exist."))
    return communities[0] if communities else None


def month_labels(months: list[tuple[int, int]]) -> list[str]:
    """Months as the reader names them; the year with the first month and with each January."""
    labels = []
    for i, (year, number) in enumerate(months):
        skeleton = "yMMM" if i == 0 or number == 1 else "MMM"
        labels.append(format_skeleton(skeleton, date(year, number, 1), locale=babel_locale()))
    return labels


def _cell(value: float | None, *, share: bool = False) -> str:
    if value is None:
        return "<5"
    if share:
        return f"{value * 100:.0f}%"
    return str(value) if isinstance(value, int) else f"{value:.1f}"


def _charts(
    participation: stats.ParticipationReport, monthly: stats.MonthlyReport, csv_links: dict[str, str]
) -> list[dict[str, Any]]:
    """Each chart: its title, the SVG, the CSV it comes from, and its numbers as a table."""
    locale = get_locale()
    labels = month_labels(participation.months)
    hidden = _(HIDDEN)
    people = [row.participants for row in participation.rows]
    group_series = [
        Series(_(stats.GROUP_NAMES[g]), [row.groups.get(g) for row in participation.rows], PALETTE[i])
        for i, g in enumerate(stats.GROUPS)
    ]
    band_series = [
        Series(_(stats.AGE_BAND_NAMES[b]), [row.age_bands.get(b) for row in monthly.rows], PALETTE[i])
        for i, b in enumerate(stats.AGE_BANDS)
    ]
    hours = [row.volunteer_hours for row in monthly.rows]
    earned = Series(_("Points earned"), [row.points_earned for row in monthly.rows], PALETTE[2])
    spent = Series(_("Points spent"), [row.points_spent for row in monthly.rows], SPENT_COLOUR)
    charts = [
        {
            "id": "participants",
            "title": _("Participants"),
            "note": _("Residents who took part at least once that month."),
            "svg": bar_chart(
                name="participants",
                label=_("Participants"),
                months=labels,
                series=[Series(_("Participants"), people)],
                suppressed=hidden,
                locale=locale,
            ),
            "csv": csv_links["participation"],
            "columns": [_("Participants")],
            "rows": [[_cell(v)] for v in people],
        },
        {
            "id": "groups",
            "title": _("Participants by resident group"),
            "note": _("Share of the month's participants in each group they declared."),
            "svg": stacked_chart(
                name="groups",
                label=_("Participants by resident group"),
                months=labels,
                series=group_series,
                totals=[1.0 if p is not None else None for p in people],
                suppressed=hidden,
                locale=locale,
                shares=True,
            ),
            "csv": csv_links["participation"],
            "columns": [s.name for s in group_series],
            "rows": [[_cell(s.values[i], share=True) for s in group_series] for i in range(len(labels))],
        },
        {
            "id": "ages",
            "title": _("Participants by age band"),
            "note": _("Their age that year."),
            "svg": stacked_chart(
                name="ages",
                label=_("Participants by age band"),
                months=labels,
                series=band_series,
                totals=[row.participants for row in monthly.rows],
                suppressed=hidden,
                locale=locale,
            ),
            "csv": csv_links["monthly"],
            "columns": [s.name for s in band_series],
            "rows": [[_cell(s.values[i]) for s in band_series] for i in range(len(labels))],
        },
        {
            "id": "hours",
            "title": _("Volunteer hours"),
            "note": _("Verified hours served for the community's teams."),
            "svg": bar_chart(
                name="hours",
                label=_("Volunteer hours"),
                months=labels,
                series=[Series(_("Volunteer hours"), hours)],
                suppressed=hidden,
                locale=locale,
            ),
            "csv": csv_links["monthly"],
            "columns": [_("Volunteer hours"), _("Volunteers")],
            "rows": [[_cell(row.volunteer_hours), _cell(row.volunteers)] for row in monthly.rows],
        },
        {
            "id": "points",
            "title": _("Points earned and spent"),
            "note": _("Spent: on rewards in this community's supermarket, less what was refunded."),
            "svg": bar_chart(
                name="points",
                label=_("Points earned and spent"),
                months=labels,
                series=[earned, spent],
                suppressed=hidden,
                locale=locale,
            ),
            "csv": csv_links["monthly"],
            "columns": [_("Points earned"), _("Points spent")],
            "rows": [[_cell(row.points_earned), _cell(row.points_spent)] for row in monthly.rows],
        },
    ]
    for chart in charts:
        chart["months"] = labels
    return charts


def _query(community: uuid.UUID, month_from: str | None, month_to: str | None) -> str:
    parts = [f"community={community}"]
    if month_from:
        parts.append(f"from={month_from}")
    if month_to:
        parts.append(f"to={month_to}")
    return "&".join(parts)


class StatisticsController(Controller):
    path = "/statistics"  # under the console router's /console
    include_in_schema = False
    guards = [signed_in, reads_statistics]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @get("/")
    async def charts(self, request: Request[Any, Any, Any], me: Principal, community: str | None = None) -> Template:
        communities = await _communities(me)
        chosen = _chosen(communities, community)
        typed = {name: request.query_params.get(name, "") for name in ("from", "to")}
        try:
            # The form's fields are "from" and "to", as the API's parameters.
            month_from, month_to = _month("from", typed["from"]), _month("to", typed["to"])
            charts, months = await _drawn(me, chosen, month_from, month_to) if chosen else ([], [])
        except DomainError as error:
            if error.status != 422:
                raise
            # A month refused: the page again, the refusal beside the fields, what was typed kept.
            return await _page(request, communities, chosen, typed["from"], typed["to"], [], refused=error)
        today = clock.city_today()
        return await _page(
            request,
            communities,
            chosen,
            month_from or (months[0] if months else ""),
            month_to or (months[-1] if months else f"{today.year:04d}-{today.month:02d}"),
            charts,
        )

    @get("/participation.csv")
    async def participation_csv(
        self, request: Request[Any, Any, Any], me: Principal, community: uuid.UUID
    ) -> Response[bytes]:
        """The API's participation export (audited there), for the community shown."""
        month_from = _month("from", request.query_params.get("from"))
        month_to = _month("to", request.query_params.get("to"))
        report = await stats.participation_export(
            user_id=me.id, organisation_id=community, month_from=month_from, month_to=month_to
        )
        return _csv(stats.report_csv(report), f"participation-{community}.csv")

    @get("/monthly.csv")
    async def monthly_csv(
        self, request: Request[Any, Any, Any], me: Principal, community: uuid.UUID
    ) -> Response[bytes]:
        """The API's monthly export (audited there): age bands, volunteer hours, points."""
        month_from = _month("from", request.query_params.get("from"))
        month_to = _month("to", request.query_params.get("to"))
        report = await stats.monthly_export(
            user_id=me.id, organisation_id=community, month_from=month_from, month_to=month_to
        )
        return _csv(stats.monthly_csv(report), f"monthly-{community}.csv")


async def _drawn(
    me: Principal, chosen: dict[str, Any], month_from: str | None, month_to: str | None
) -> tuple[list[dict[str, Any]], list[str]]:
    """The charts of a community and months (drawn in a worker thread), and the months' names."""
    try:
        participation = await stats.participation_report(
            user_id=me.id, organisation_id=chosen["id"], month_from=month_from, month_to=month_to
        )
        monthly = await stats.monthly_report(
            user_id=me.id, organisation_id=chosen["id"], month_from=month_from, month_to=month_to
        )
    except DomainError as error:
        raise _range_marked(error) from None
    query = _query(chosen["id"], month_from, month_to)
    links = {"participation": f"{ROOT}/participation.csv?{query}", "monthly": f"{ROOT}/monthly.csv?{query}"}
    locale = get_locale()

    def draw() -> list[dict[str, Any]]:
        with use_locale(locale):  # in the worker thread too, the reader's language
            return _charts(participation, monthly, links)

    charts = await anyio.to_thread.run_sync(draw)
    return charts, [stats.month_text(m) for m in participation.months]


async def _page(
    request: Request[Any, Any, Any],
    communities: list[dict[str, Any]],
    chosen: dict[str, Any] | None,
    month_from: str,
    month_to: str,
    charts: list[dict[str, Any]],
    refused: DomainError | None = None,
) -> Template:
    problems = [
        {
            "field": problem.field,
            "label": _(FIELD_LABELS.get(problem.field, problem.field)),
            "message": explain(problem.message, problem.params),
        }
        for problem in getattr(refused, "problems", [])
    ]
    return await page(
        request,
        "console/statistics/page.html",
        status=422 if refused else 200,
        communities=communities,
        chosen=chosen,
        charts=charts,
        month_from=month_from,
        month_to=month_to,
        refused=explain(refused.message, refused.params) if refused else None,
        problems=problems,
        min_cell=stats.MIN_CELL,
    )


def _csv(body: bytes, filename: str) -> Response[bytes]:
    return Response(body, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})
