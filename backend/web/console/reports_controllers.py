"""The reports room (``/console/reports``): incidents residents and patrols reported, as the API's
``/api/v1/incidents`` shows them to the person asking — coordinators of the community, or the
staff of the party a report was forwarded to (property company, owners' committee, police
station, city management, residents' committee). A queue by status and kind with how long each
has waited, a report with its photo (served through the API's authorised photo service), its
place and history, and the moves the API's ``change_incident_status`` allows this person, each
with a note. Another organisation's report is 404, as in the API."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta
from typing import Any, Literal

from babel.dates import format_timedelta
from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.handlers import BaseRouteHandler
from litestar.response import File, Template

from backend.core import clock
from backend.core.context import Principal
from backend.core.errors import DomainError, Forbidden, PendingFieldProblem
from backend.core.i18n import N_, _, babel_locale, pick
from backend.core.media import media_type_of
from backend.governance import api as incidents
from backend.web.console.account_controllers import Form
from backend.web.console.edge import FormRefused, form_values, go, page, parse_form, provide_me, signed_in, staff
from backend.web.console.listing import Listing

ROOT = "/console/reports"
# The rule the queue marks and says on the page: a report still open after two days is overdue.
OVERDUE_AFTER = timedelta(hours=48)
SORTS = ("created_at", "kind", "status")
# What the report's page says after a move sent the person back to it (``?done=<status>``).
DONE = {
    "acknowledged": N_("The report is acknowledged."),
    "forwarded": N_("The report is forwarded."),
    "resolved": N_("The report is resolved."),
}
# The buttons for each move, in the order they are offered.
MOVES: tuple[tuple[incidents.IncidentStatus, str], ...] = (
    (incidents.IncidentStatus.acknowledged, N_("Acknowledge")),
    (incidents.IncidentStatus.forwarded, N_("Forward")),
    (incidents.IncidentStatus.resolved, N_("Resolve")),
)
# A viewer's eyes (the API's ``viewed_as``) → the role the service's transitions name.
ROLE_OF_VIEW = {"coordinator": "coordinator", "responsible_party": "responsible_party"}
# A refusal of the forwarding's party or organisation marks the "forward to" choice.
TARGET_CODES = frozenset({"party_organisation_wrong_kind", "party_organisation_elsewhere", "organisation_not_found"})


async def sees_reports(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """The room opens to those any of the API's incident lists may hold something for."""
    if not await incidents.may_see_incidents(staff(connection).id):
        raise Forbidden()


def waited(created_at: datetime, now: datetime) -> str:
    return format_timedelta(now - created_at, threshold=1.5, locale=babel_locale())


def moves_for(report: incidents.IncidentRead) -> list[dict[str, str]]:
    """The moves the service's transitions allow this reader from the report's status."""
    role = ROLE_OF_VIEW.get(report.viewed_as)
    source = incidents.IncidentStatus(report.status)
    return [
        {"status": target.value, "label": _(label)}
        for target, label in MOVES
        if role is not None and role in incidents.TRANSITIONS.get((source, target), frozenset())
    ]


def target_value(party: str, organisation_id: uuid.UUID) -> str:
    return f"{party}:{organisation_id}"


async def forward_options(report: incidents.IncidentRead) -> list[tuple[str, str]]:
    """Where a coordinator may forward this report: the routing's party first, then every
    organisation the service would accept as another party."""
    routed = report.party_organisation.name if report.party_organisation else ""
    options = [("", _("As routed: {party}").format(party=" · ".join(filter(None, [report.party_name, routed]))))]
    for choice in await incidents.forward_choices(report.community.id):
        if report.party_organisation and choice.organisation_id == report.party_organisation.id:
            continue
        name = pick(choice.organisation_name)[0]
        options.append((target_value(choice.party, choice.organisation_id), f"{_party(choice.party)} · {name}"))
    return options


def _party(party: str) -> str:
    return _(incidents.PARTY_NAMES[incidents.ResponsibleParty(party)])


def change_of(values: dict[str, Any]) -> incidents.IncidentUpdate:
    """The move form as the API's PATCH body: ``target`` (party:organisation) split in two."""
    target = str(values.pop("target", "") or "")
    if target:
        party, _sep, organisation_id = target.partition(":")
        values["party"], values["party_organisation_id"] = party, organisation_id
    try:
        change: incidents.IncidentUpdate = parse_form(values, incidents.IncidentUpdate)
    except FormRefused as refused:
        refused.problems = [
            dataclasses.replace(p, field="target") if p.field in ("party", "party_organisation_id") else p
            for p in refused.problems
        ]
        raise
    return change


def _scope(value: str | None, default: Literal["coordinating", "assigned"]) -> Literal["coordinating", "assigned"]:
    return value if value in ("coordinating", "assigned") else default  # type: ignore[return-value]


class ReportsController(Controller):
    path = "/reports"  # under the console router's /console
    include_in_schema = False
    guards = [signed_in, sees_reports]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @get("/")
    async def queue(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        listing = Listing.read(
            ROOT, request.query_params, sorts=SORTS, default_sort="created_at", filters=("scope", "status", "kind")
        )
        coordinating = await incidents.incident_queue(
            user_id=me.id, scope="coordinating", status=None, kind=None, sort="created_at", descending=False,
            limit=1, offset=0,
        )  # fmt: skip
        scope = _scope(listing.filters.get("scope"), "coordinating" if coordinating.total else "assigned")
        status = listing.filters.get("status", "")
        kind = listing.filters.get("kind", "")
        found = await incidents.incident_queue(
            user_id=me.id,
            scope=scope,
            status=incidents.IncidentStatus(status) if status in incidents.IncidentStatus.__members__ else None,
            kind=incidents.IncidentKind(kind) if kind in incidents.IncidentKind.__members__ else None,
            sort=listing.key,
            descending=listing.descending,
            limit=listing.size,
            offset=listing.offset,
        )
        listing.total = found.total
        now = clock.now()
        rows = [
            {
                "report": item,
                "waited": waited(item.created_at, now),
                "overdue": item.status != "resolved" and now - item.created_at > OVERDUE_AFTER,
            }
            for item in found.items
        ]
        return await page(
            request,
            "console/reports/list.html",
            listing=listing,
            rows=rows,
            scope=scope,
            statuses=[(s.value, _(n)) for s, n in incidents.STATUS_NAMES.items()],
            kinds=[(k.value, _(n)) for k, n in incidents.KIND_NAMES.items()],
            routing=[(ref.id, pick(ref.name)[0]) for ref in await incidents.routing_communities(me.id)],
        )

    @get("/{incident_id:uuid}")
    async def report(self, request: Request[Any, Any, Any], me: Principal, incident_id: uuid.UUID) -> Template:
        report = await incidents.incident(user_id=me.id, incident_id=incident_id)
        moves = moves_for(report)
        forwarding = any(move["status"] == "forwarded" for move in moves)
        photo = next((key for key in sorted(report.photo_urls) if key.endswith(".jpg")), None)
        now = clock.now()
        return await page(
            request,
            "console/reports/show.html",
            report=report,
            moves=moves,
            targets=await forward_options(report) if forwarding else [],
            photo=photo,
            waited=waited(report.created_at, now),
            overdue=report.status != "resolved" and now - report.created_at > OVERDUE_AFTER,
            done=_(DONE[request.query_params["done"]]) if request.query_params.get("done") in DONE else None,
        )

    @post("/{incident_id:uuid}/status")
    async def move(
        self, request: Request[Any, Any, Any], me: Principal, incident_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        change = change_of(form_values(data))
        try:
            await incidents.change_incident_status(user_id=me.id, incident_id=incident_id, change=change)
        except DomainError as error:
            if error.code in TARGET_CODES and not getattr(error, "problems", None):
                error.problems = [PendingFieldProblem("target", error.message, error.code, error.params)]  # type: ignore[attr-defined]
            raise
        return go(request, f"{ROOT}/{incident_id}?done={change.status.value}")

    @get("/{incident_id:uuid}/photo/{rendition:str}")
    async def photo(self, me: Principal, incident_id: uuid.UUID, rendition: str) -> File:
        found = await incidents.incident_photo_file(user_id=me.id, incident_id=incident_id, rendition=rendition[:32])
        return File(
            path=found,
            filename=f"incident-{rendition[:32]}",
            media_type=media_type_of(found),
            content_disposition_type="inline",
            headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
        )
