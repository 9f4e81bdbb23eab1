"""The convenors' room (``/console/meetings``): the four meetings (四会) and the property joint
meeting from convening to minutes, and the follow-up actions an organisation must act on. The
same services as the API's ``/api/v1/meetings``, ``/meeting-submissions`` and ``/meeting-actions``
(through ``governance.api``), with the API's request structs, so the same permission checks and
refusals: a convenor of another community is refused as the API refuses them.

Repeated rows of a form (agenda items, decisions, their actions) name their inputs
``<name>_r<6 hex>``: the order they come in is the order sent, and a refusal names the row's input."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from contextlib import suppress
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.response import Template

from backend.core import clock
from backend.core.cache import VersionedCache
from backend.core.context import Principal
from backend.core.errors import DomainError, Forbidden, explain
from backend.core.i18n import N_, _, pick
from backend.events.api import venues_in_scope
from backend.governance import api as governance
from backend.web.console.account_controllers import Form
from backend.web.console.edge import (
    city_time,
    fields_marked,
    form_values,
    go,
    is_htmx,
    page,
    parse_form,
    provide_me,
    row_token,
    signed_in,
    staff,
)
from backend.web.console.events_controllers import FIELD_OF_CODE as EVENT_FIELD_OF_CODE
from backend.web.console.listing import Listing

ROOM = "/console/meetings"
ROW = re.compile(r"^(?P<name>[a-z]+)_(?P<row>r[0-9a-f]{6})(?:_(?P<sub>r[0-9a-f]{6}))?(?:_(?P<part>[a-z]+))?$")
STATE_NAMES: Mapping[str, str] = {
    "draft": N_("Draft"),
    "announced": N_("Announced"),
    "held": N_("Held"),
    "published": N_("Minutes published"),
}
ACTION_STATUSES = ("planned", "in_progress", "done", "dropped")
# A service's refusal that is about one field of the convening form marks that field.
FIELD_OF_CODE: Mapping[str, str] = {
    **EVENT_FIELD_OF_CODE,
    "not_a_community": "community_id",
    "party_elsewhere": "parties",
    "audience_elsewhere": "audience",
}
DECIDED_CODES = frozenset({"reason_required", "submission_decided", "validation_failed"})
# (A malformed update is refused before anyone is asked whether they may act, so it is not drawn in
# the row: the row would show the action to someone who may not see it.)
ACTION_CODES = frozenset({"action_closed", "action_changed_meanwhile"})


async def sees_meetings(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """The room opens to whoever may convene in a community, or whose organisation owns an action."""
    if not await governance.may_see_meetings(staff(connection).id):
        raise Forbidden()


def field_of(error: DomainError) -> str | None:
    """The convening form's input a service's refusal is about: by its code, or the field it names."""
    return FIELD_OF_CODE.get(error.code) or (str(error.params.get("field")) if error.code == "text_required" else None)


def rows_of(data: Mapping[str, Any], name: str) -> list[str]:
    """The row tokens of ``name`` in the order the form sent them."""
    seen: dict[str, None] = {}
    for key in data:
        found = ROW.match(key.partition(".")[0])
        if found and found["name"] == name:
            seen.setdefault(found["row"] if name != "a" else f"{found['row']}_{found['sub']}", None)
    return list(seen)


def convene_values(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The convening form as the API's ``MeetingCreate`` JSON (times typed in Suzhou time, agenda
    rows left empty dropped), and which input each of its paths came from."""
    values = form_values(data, lists=frozenset({"parties"}))
    names: dict[str, str] = {}
    agenda: list[dict[str, Any]] = []
    for token in rows_of(data, "agenda"):
        title = values.pop(f"agenda_{token}", {})
        if title:
            names[f"agenda[{len(agenda)}]"] = f"agenda_{token}"
            agenda.append({"title": title})
    values["agenda"] = agenda
    for name in ("starts_at", "ends_at"):
        values[name] = city_time(values.get(name))
        if values[name] is None:
            values.pop(name)
    values.setdefault("parties", [])
    audience = values.pop("audience", None)
    if isinstance(audience, str):
        values["audience"] = governance.audience_of(audience)
        names |= {"audience.kind": "audience", "audience.ids": "audience", "audience.ids[0]": "audience"}
    return values, names


def minutes_values(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The minutes form as the API's ``MinutesCreate`` JSON: each decision row (``d_<row>``, its
    agenda item ``d_<row>_item``) with its action rows (``a_<row>_<sub>``: title, ``_owner``,
    ``_due``); rows left wholly empty are dropped."""
    values = form_values(data)
    names: dict[str, str] = {}
    decisions: list[dict[str, Any]] = []
    pairs = [token.split("_") for token in rows_of(data, "a")]
    for token in rows_of(data, "d"):
        text = values.pop(f"d_{token}", {})
        item = values.pop(f"d_{token}_item", None)
        actions: list[dict[str, Any]] = []
        for row, sub in pairs:
            if row != token:
                continue
            base = f"a_{row}_{sub}"
            title, owner, due = values.pop(base, {}), values.pop(f"{base}_owner", None), values.pop(f"{base}_due", None)
            if not (title or owner or due):
                continue
            prefix = f"decisions[{len(decisions)}].actions[{len(actions)}]"
            names |= {f"{prefix}.title": base, f"{prefix}.owner_id": f"{base}_owner", f"{prefix}.due_on": f"{base}_due"}
            actions.append({"title": title, "owner_id": owner, "due_on": due})
        if not (text or item or actions):
            continue
        prefix = f"decisions[{len(decisions)}]"
        names |= {f"{prefix}.text": f"d_{token}", f"{prefix}.item_id": f"d_{token}_item"}
        decisions.append({"text": text, "item_id": item, "actions": actions})
    for key in [k for k in values if k.startswith(("a_", "d_"))]:
        values.pop(key)
    values["decisions"] = decisions
    return values, names


def agenda_options(view: governance.ConvenorView) -> list[tuple[uuid.UUID, str]]:
    return [(item.id, f"{item.position}. {item.title}") for item in view.meeting.agenda]


def state_name(state: str) -> str:
    return _(STATE_NAMES[state])


async def audiences(community_id: uuid.UUID) -> list[tuple[str, str]]:
    return [
        (key, _("The whole community") if key == "community" else name)
        for key, name in await governance.audience_choices(community_id)
    ]


async def convene_context(me: Principal, community_id: uuid.UUID | None) -> dict[str, Any]:
    communities = await governance.convening_communities(me.id)
    if not communities:
        raise Forbidden()
    chosen = community_id if community_id in {c.id for c in communities} else communities[0].id
    return {
        "communities": [(c.id, pick(c.name)[0]) for c in communities],
        "community_id": chosen,
        "kinds": [(code, _(name)) for code, name in governance.MEETING_KIND_NAMES.items()],
        "venues": [(v.id, pick(v.name)[0]) for v in await venues_in_scope(me.id)],
        "parties": await governance.party_choices(chosen),
        "audiences": await audiences(chosen),
        "audience": "community",
        "rows": [row_token()],
    }


class MeetingsController(Controller):
    path = "/meetings"  # under the console router's /console
    include_in_schema = False
    guards = [signed_in, sees_meetings]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @get("/")
    async def list_meetings(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        listing = Listing.read(
            ROOM, request.query_params, sorts=("starts_at",), default_sort="-starts_at", filters=("state", "community")
        )
        communities = await governance.convening_communities(me.id)
        community: uuid.UUID | None = None
        with suppress(ValueError):
            community = uuid.UUID(listing.filters.get("community", ""))
        found = await governance.convened_meetings(
            user_id=me.id,
            community_id=community,
            state=listing.filters.get("state"),
            limit=listing.size,
            offset=listing.offset,
        )
        listing.total = found.total
        return await page(
            request,
            "console/meetings/list.html",
            listing=listing,
            rows=found.items,
            communities=[(c.id, pick(c.name)[0]) for c in communities],
            states=[(code, state_name(code)) for code in governance.MEETING_STATES],
            state_name=state_name,
        )

    @get("/new")
    async def new(self, request: Request[Any, Any, Any], me: Principal, community: str = "") -> Template:
        chosen: uuid.UUID | None = None
        with suppress(ValueError):
            chosen = uuid.UUID(community)
        return await page(request, "console/meetings/convene.html", **await convene_context(me, chosen))

    @get("/parties")
    async def parties(self, me: Principal, community_id: str = "") -> Template:
        """Who the meeting may be for and the parties offered, for the community chosen in the
        convening form (htmx)."""
        mine = {c.id for c in await governance.convening_communities(me.id)}
        chosen: uuid.UUID | None = None
        with suppress(ValueError):
            chosen = uuid.UUID(community_id)
        ours = chosen is not None and chosen in mine
        return Template(
            template_name="console/meetings/_for_community.html",
            context={
                "parties": await governance.party_choices(chosen) if ours and chosen else [],
                "audiences": await audiences(chosen) if ours and chosen else [],
                "audience": "community",
                "chosen": (),
            },
        )

    @get("/agenda-row")
    async def agenda_row(self) -> Template:
        return Template(template_name="console/meetings/_agenda_row.html", context={"token": row_token()})

    @get("/removed")
    async def removed(self) -> Response[Any]:
        """What a row's "remove" button asks for: nothing (htmx deletes the row itself)."""
        return Response(b"", status_code=200)

    @post("/")
    async def convene(
        self, request: Request[Any, Any, Any], me: Principal, data: Form, cache: VersionedCache
    ) -> Response[Any]:
        values, names = convene_values(data)
        with fields_marked(names, field_of):
            body: governance.MeetingCreate = parse_form(values, governance.MeetingCreate)
            meeting_id = await governance.convene_meeting(user_id=me.id, data=body, cache=cache)
        return go(request, f"{ROOM}/{meeting_id}?said=meeting_convened")

    @get("/{meeting_id:uuid}")
    async def show(self, request: Request[Any, Any, Any], me: Principal, meeting_id: uuid.UUID) -> Template:
        view = await governance.convenor_view(user_id=me.id, meeting_id=meeting_id)
        submissions = (
            await governance.submissions_to_moderate(user_id=me.id, meeting_id=meeting_id)
            if view.state != "draft"
            else []
        )
        items = {item.id: item for item in view.meeting.agenda}
        return await page(
            request,
            "console/meetings/show.html",
            view=view,
            meeting=view.meeting,
            state_name=state_name,
            submissions=submissions,
            items=items,
            waiting=sum(1 for s in submissions if s.status == "pending"),
            decision_rows=[(row_token(), [row_token()])],
            agenda_options=agenda_options(view),
            today=clock.city_today().isoformat(),
        )

    @get("/{meeting_id:uuid}/announce")
    async def announce_page(self, request: Request[Any, Any, Any], me: Principal, meeting_id: uuid.UUID) -> Template:
        view = await governance.convenor_view(user_id=me.id, meeting_id=meeting_id)
        return await page(request, "console/meetings/announce.html", view=view, meeting=view.meeting)

    @post("/{meeting_id:uuid}/announce")
    async def announce(
        self, request: Request[Any, Any, Any], me: Principal, meeting_id: uuid.UUID, cache: VersionedCache
    ) -> Response[Any]:
        await governance.announce_meeting(user_id=me.id, meeting_id=meeting_id, cache=cache)
        return go(request, f"{ROOM}/{meeting_id}?said=meeting_announced")

    @post("/submissions/{submission_id:uuid}", status_code=200)
    async def moderate(
        self, request: Request[Any, Any, Any], me: Principal, submission_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        """Accept or decline one submission (the API's ``moderate_submission``); with htmx the
        row answers in place, refused or decided."""
        values = form_values(data)
        try:
            body: governance.SubmissionDecide = parse_form(values, governance.SubmissionDecide)
            await governance.decide_submission(
                user_id=me.id, submission_id=submission_id, status=body.status, reason=body.reason
            )
        except DomainError as error:
            if error.code not in DECIDED_CODES or not is_htmx(request):
                raise
            return await self._submission(request, submission_id, error, str(values.get("reason") or ""))
        if not is_htmx(request):
            shown = await governance.submission_read(submission_id)
            return go(request, f"{ROOM}/{shown.meeting_id}#submission-{submission_id}")
        return await self._submission(request, submission_id, None, "")

    async def _submission(
        self, request: Request[Any, Any, Any], submission_id: uuid.UUID, error: DomainError | None, reason: str
    ) -> Template:
        shown = await governance.submission_read(submission_id)
        view = await governance.convenor_view(user_id=staff(request).id, meeting_id=shown.meeting_id)
        items = {item.id: item for item in view.meeting.agenda}
        return await page(
            request,
            "console/meetings/_submission.html",
            status=error.status if error else 200,
            submission=shown,
            items=items,
            problem=explain(error.message, error.params) if error else None,
            reason=reason,
            decided=error is None,
        )

    @post("/{meeting_id:uuid}/minutes")
    async def minutes(
        self, request: Request[Any, Any, Any], me: Principal, meeting_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        values, names = minutes_values(data)
        with fields_marked(names, field_of):
            body: governance.MinutesCreate = parse_form(values, governance.MinutesCreate)
            await governance.publish_minutes(user_id=me.id, meeting_id=meeting_id, data=body)
        return go(request, f"{ROOM}/{meeting_id}?said=minutes_published")

    @get("/{meeting_id:uuid}/decision-row")
    async def decision_row(self, me: Principal, meeting_id: uuid.UUID) -> Template:
        view = await governance.convenor_view(user_id=me.id, meeting_id=meeting_id)
        return Template(
            template_name="console/meetings/_decision_row.html",
            context={
                "meeting": view.meeting,
                "view": view,
                "token": row_token(),
                "subs": [row_token()],
                "agenda_options": agenda_options(view),
            },
        )

    @get("/{meeting_id:uuid}/action-row/{token:str}")
    async def action_row(self, me: Principal, meeting_id: uuid.UUID, token: str) -> Template:
        if not re.fullmatch(r"r[0-9a-f]{6}", token):
            raise NotFoundException()
        view = await governance.convenor_view(user_id=me.id, meeting_id=meeting_id)
        return Template(
            template_name="console/meetings/_action_row.html",
            context={"view": view, "token": token, "sub": row_token()},
        )

    # --- what an organisation must act on --------------------------------------------------------

    @get("/actions")
    async def actions(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        return await page(
            request,
            "console/meetings/actions.html",
            rows=await governance.actions_to_do(me.id),
            statuses=self._statuses(),
        )

    @post("/actions/{action_id:uuid}", status_code=200)
    async def update(
        self, request: Request[Any, Any, Any], me: Principal, action_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        """A dated update of one action (the API's ``update_meeting_action``); with htmx the row
        answers in place."""
        values = form_values(data)
        try:
            body: governance.ActionUpdateIn = parse_form(values, governance.ActionUpdateIn)
            await governance.update_action(user_id=me.id, action_id=action_id, status=body.status, note=body.note)
        except DomainError as error:
            if error.code not in ACTION_CODES or not is_htmx(request):
                raise
            return await self._action(request, action_id, error)
        if not is_htmx(request):
            return go(request, f"{ROOM}/actions?said=action_updated#action-{action_id}")
        return await self._action(request, action_id, None)

    async def _action(
        self, request: Request[Any, Any, Any], action_id: uuid.UUID, error: DomainError | None
    ) -> Template:
        return await page(
            request,
            "console/meetings/_action.html",
            status=error.status if error else 200,
            row=await governance.action_view(action_id),
            statuses=self._statuses(),
            problem=explain(error.message, error.params) if error else None,
            saved=error is None,
        )

    @staticmethod
    def _statuses() -> list[tuple[str, str]]:
        return [(code, _(governance.MEETING_ACTION_STATUS_NAMES[code])) for code in ACTION_STATUSES]
