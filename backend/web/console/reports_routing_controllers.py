"""The routing table of a community's incident reports (``/console/reports/routing/{community}``),
inside the reports room: which party acts on each kind of report, edited one row at a time in
place. The page reads ``incident_routing_read`` (the API's ``GET …/incident-routing``); saving a
row sends the whole table, that row changed, to ``set_incident_routing`` (the API's ``PUT``), so
the service's rules and refusals hold: only coordinators of the community (or above) may, and an
organisation of the wrong kind or one that does not serve the community is refused beside its
row. Choosing "as by default" removes the row's rule (the residents' committee acts). A kind may
also go to a body found from the report's place (the estate's property company or owners'
committee, the grid's workers: ``place:<receiver>``), resolved per report by the service."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.response import Template

from backend.core.context import Principal
from backend.core.errors import DomainError, explain
from backend.core.i18n import _, pick
from backend.governance import api as incidents
from backend.web.console.account_controllers import Form
from backend.web.console.edge import FormRefused, form_values, go, is_htmx, page, provide_me, signed_in
from backend.web.console.reports_controllers import ROOT, sees_reports, target_value

# The service's refusals about a row's choice: drawn beside that row.
ROW_CODES = frozenset(
    {"party_organisation_wrong_kind", "party_organisation_elsewhere", "organisation_not_found", "validation_failed"}
)


PLACE = "place"  # a choice's prefix for a receiver found from the report's place


def current_value(route: incidents.RoutingRead) -> str:
    if route.is_default:
        return ""
    receiver = incidents.RoutingReceiver(route.receiver)
    if receiver is not incidents.RoutingReceiver.named:
        return f"{PLACE}:{receiver.value}"
    party = incidents.ResponsibleParty(route.party).value  # the presenter hands the column's text
    return target_value(party, route.organisation.id) if route.organisation else f"{party}:"


async def choices(community_id: uuid.UUID) -> list[tuple[str, str]]:
    """Every (party, organisation) the service would accept here, the residents' committee (the
    default, the community itself) left to the "as by default" choice; first the bodies found from
    each report's place."""
    options = [
        (f"{PLACE}:{receiver.value}", _(incidents.RECEIVER_NAMES[receiver])) for receiver in incidents.RECEIVER_PARTIES
    ]
    for choice in await incidents.forward_choices(community_id):
        if choice.party == incidents.ResponsibleParty.residents_committee.value:
            continue
        party = _(incidents.PARTY_NAMES[incidents.ResponsibleParty(choice.party)])
        options.append(
            (target_value(choice.party, choice.organisation_id), f"{party} · {pick(choice.organisation_name)[0]}")
        )
    return options


def rows(routes: list[incidents.RoutingRead], options: list[tuple[str, str]]) -> list[dict[str, Any]]:
    known = {value for value, _label in options}
    shown = []
    for route in routes:
        value = current_value(route)
        extra = [] if value in known or not value else [(value, route.party_name)]  # set through the API
        kind = incidents.IncidentKind(route.kind).value
        shown.append({"route": route, "kind": kind, "value": value, "options": [*extra, *options], "problem": None})
    return shown


def rule_of(kind: incidents.IncidentKind, target: str) -> incidents.RoutingRule | None:
    """The row's choice as the API's rule (None: back to the default); a choice that is not one
    refused as the API refuses a body it cannot read."""
    if not target:
        return None
    party, _sep, organisation_id = target.partition(":")
    if party == PLACE:
        try:
            receiver = incidents.RoutingReceiver(organisation_id)
            return incidents.RoutingRule(kind=kind, party=incidents.RECEIVER_PARTIES[receiver], receiver=receiver)
        except (ValueError, KeyError) as error:
            raise FormRefused([]) from error
    try:
        return msgspec.convert(
            {"kind": kind.value, "party": party, "organisation_id": organisation_id or None},
            incidents.RoutingRule,
            strict=False,
        )
    except msgspec.ValidationError as error:
        raise FormRefused([]) from error


class RoutingController(Controller):
    path = "/reports/routing"  # under the console router's /console
    include_in_schema = False
    guards = [signed_in, sees_reports]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @get("/{community_id:uuid}")
    async def table(self, request: Request[Any, Any, Any], me: Principal, community_id: uuid.UUID) -> Template:
        routes = await incidents.incident_routing_read(user_id=me.id, community_id=community_id)
        communities = {ref.id: ref for ref in await incidents.routing_communities(me.id)}
        community = communities.get(community_id)
        return await page(
            request,
            "console/reports/routing.html",
            community_id=community_id,
            community_name=pick(community.name)[0] if community else "",
            rows=rows(routes, await choices(community_id)),
            saved=request.query_params.get("saved"),
        )

    @post("/{community_id:uuid}/{kind:str}", status_code=200)
    async def save(
        self, request: Request[Any, Any, Any], me: Principal, community_id: uuid.UUID, kind: str, data: Form
    ) -> Response[Any]:
        routes = await incidents.incident_routing_read(user_id=me.id, community_id=community_id)
        row = next((route for route in routes if incidents.IncidentKind(route.kind).value == kind), None)
        if row is None:
            raise NotFoundException()
        target = str(form_values(data).get("target") or "")
        try:
            changed = rule_of(incidents.IncidentKind(row.kind), target)
            rules = [
                incidents.RoutingRule(
                    kind=incidents.IncidentKind(route.kind),
                    party=incidents.ResponsibleParty(route.party),
                    organisation_id=route.organisation.id if route.organisation else None,
                    receiver=incidents.RoutingReceiver(route.receiver),
                )
                for route in routes
                if not route.is_default and route.kind != row.kind
            ]
            await incidents.set_incident_routing(
                user_id=me.id, community_id=community_id, rules=[*rules, *([changed] if changed else [])]
            )
        except DomainError as error:
            if error.code not in ROW_CODES or not is_htmx(request):
                raise
            return await self._row(request, community_id, row, target, error)
        if not is_htmx(request):
            return go(request, f"{ROOT}/routing/{community_id}?saved={kind}")
        routes = await incidents.incident_routing_read(user_id=me.id, community_id=community_id)
        return await self._row(request, community_id, next(r for r in routes if r.kind == row.kind), None, None)

    async def _row(
        self,
        request: Request[Any, Any, Any],
        community_id: uuid.UUID,
        route: incidents.RoutingRead,
        target: str | None,
        error: DomainError | None,
    ) -> Template:
        """One row again: saved (and saying so), or refused with the service's words beside it."""
        shown = rows([route], await choices(community_id))[0]
        if error is not None:
            shown["value"] = target or ""
            shown["problem"] = explain(error.message, error.params)
        return await page(
            request,
            "console/reports/routing_row.html",
            status=error.status if error else 200,
            community_id=community_id,
            row=shown,
            saved=shown["kind"] if error is None else None,
        )
