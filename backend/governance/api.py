"""The governance domain's public face: what it announces (typed signal payloads) for the domains
after it (notifications tells residents) and what they may read (the public board, for web's page;
who may answer a survey). Later domains import this module, never governance's tables or
internals. Each sub-package keeps its own section."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from backend.accounts.api import (
    OrganisationKind,
    ancestor_ids,
    member_organisation_ids,
    organisations,
    organisations_under,
)
from backend.core.errors import NotFound
from backend.governance.incidents import presenters as _incident_presenters
from backend.governance.incidents.answers import incident_answer
from backend.governance.incidents.names import (
    KIND_NAMES,
    PARTY_NAMES,
    RECEIVER_NAMES,
    STATUS_NAMES,
    kind_name,
    party_name,
)
from backend.governance.incidents.queries import (
    coordinates_incidents,
    load_community,
    read_incident,
    staff_queue,
    waiting_count,
)
from backend.governance.incidents.record import HandlingRecord, handling_record
from backend.governance.incidents.routing import (
    DEFAULT_PARTY,
    PARTY_KINDS,
    RECEIVER_PARTIES,
    SERVING_LEVELS,
    incident_routing,
)
from backend.governance.incidents.routing import set_incident_routing as set_incident_routing
from backend.governance.incidents.schemas import (
    IncidentRead,
    IncidentRoutingPut,
    IncidentScope,
    IncidentSummary,
    IncidentUpdate,
    RoutingRead,
    RoutingRule,
)
from backend.governance.incidents.services import TRANSITIONS, change_incident_status, incident_photo
from backend.governance.incidents.signals import IncidentChanged
from backend.governance.incidents.tables import (
    IncidentKind,
    IncidentStatus,
    ResponsibleParty,
    RoutingReceiver,
)
from backend.governance.meetings.board import community_board
from backend.governance.meetings.presenters import ACTION_STATUS_NAMES as MEETING_ACTION_STATUS_NAMES
from backend.governance.meetings.presenters import KIND_NAMES as MEETING_KIND_NAMES
from backend.governance.meetings.room import (
    STATES as MEETING_STATES,
)
from backend.governance.meetings.room import (
    ActionToDo,
    ConvenedMeeting,
    ConvenedPage,
    ConvenorView,
    action_view,
    actions_to_do,
    audience_choices,
    audience_of,
    convened_meetings,
    convening_communities,
    convenor_view,
    owns_actions,
    party_choices,
    submission_read,
    submissions_to_moderate,
)
from backend.governance.meetings.schemas import (
    ActionUpdateIn,
    BoardRead,
    MeetingCreate,
    MinutesCreate,
    SubmissionDecide,
)
from backend.governance.meetings.services import announce_meeting, convene_meeting, publish_minutes, update_action
from backend.governance.meetings.signals import ActionChanged, MinutesPublished
from backend.governance.meetings.submissions import decide as decide_submission
from backend.governance.surveys.room import KINDS as SURVEY_KINDS
from backend.governance.surveys.room import STATES as SURVEY_STATES
from backend.governance.surveys.room import (
    AudienceGroup,
    EstateChoice,
    RunSurvey,
    StaffView,
    SurveyPage,
    may_see_surveys,
    surveys_run,
)
from backend.governance.surveys.room import audience_choices as survey_audiences
from backend.governance.surveys.room import estate_choices as survey_estates
from backend.governance.surveys.room import running_communities as survey_communities
from backend.governance.surveys.room import staff_view as survey_staff_view
from backend.governance.surveys.schemas import EvaluationCreate, OwnerPollCreate, ResponseIn, SurveyCreate
from backend.governance.surveys.services import create_evaluation, create_survey, survey_row, write_response
from backend.governance.surveys.services import create_poll as create_owner_poll
from backend.governance.surveys.signals import SurveyOpened
from backend.places.api import residents_in
from backend.volunteers.api import private_store, public_store, routing_communities

__all__ = [
    "KIND_NAMES",
    "MEETING_ACTION_STATUS_NAMES",
    "MEETING_KIND_NAMES",
    "MEETING_STATES",
    "PARTY_NAMES",
    "RECEIVER_NAMES",
    "RECEIVER_PARTIES",
    "STATUS_NAMES",
    "SURVEY_KINDS",
    "SURVEY_STATES",
    "TRANSITIONS",
    "ActionChanged",
    "ActionToDo",
    "ActionUpdateIn",
    "AudienceGroup",
    "BoardRead",
    "ConvenedMeeting",
    "ConvenedPage",
    "ConvenorView",
    "EstateChoice",
    "EvaluationCreate",
    "ForwardChoice",
    "HandlingRecord",
    "IncidentChanged",
    "IncidentKind",
    "IncidentQueue",
    "IncidentRead",
    "IncidentRoutingPut",
    "IncidentScope",
    "IncidentStatus",
    "IncidentSummary",
    "IncidentUpdate",
    "MeetingCreate",
    "MinutesCreate",
    "MinutesPublished",
    "OwnerPollCreate",
    "ResponseIn",
    "ResponsibleParty",
    "RoutingRead",
    "RoutingReceiver",
    "RoutingRule",
    "RunSurvey",
    "StaffView",
    "SubmissionDecide",
    "SurveyCreate",
    "SurveyOpened",
    "SurveyPage",
    "action_view",
    "actions_to_do",
    "announce_meeting",
    "audience_choices",
    "audience_of",
    "change_incident_status",
    "community_board",
    "convene_meeting",
    "convened_meetings",
    "convening_communities",
    "convenor_view",
    "create_evaluation",
    "create_owner_poll",
    "create_survey",
    "decide_submission",
    "forward_choices",
    "handling_record",
    "incident",
    "incident_photo",
    "incident_photo_file",
    "incident_queue",
    "incident_routing_read",
    "kind_name",
    "may_see_incidents",
    "may_see_meetings",
    "may_see_surveys",
    "party_choices",
    "party_name",
    "publish_minutes",
    "reports_waiting",
    "routing_communities",
    "set_incident_routing",
    "submission_read",
    "submissions_to_moderate",
    "survey_audience",
    "survey_audiences",
    "survey_communities",
    "survey_estates",
    "survey_staff_view",
    "surveys_run",
    "update_action",
    "write_response",
]


# --- surveys: the console's surveys room reads (``surveys.room``) and changes through the API's own
# services, with the API's request structs (re-exported above) -------------------------------------


async def survey_audience(survey_id: uuid.UUID) -> list[uuid.UUID]:
    """The residents who may answer a survey (those who say they live in its audience), to tell
    them it has opened; none for a survey that no longer exists."""
    try:
        row = await survey_row(survey_id)
    except NotFound:
        return []
    return await residents_in(row["audience"], uuid.UUID(str(row["audience_id"])))


# --- incidents (reports): the console's reports room and the home page read them here, with the same queries, services and presenters as the API's (the same queries, services and presenters as the API's)


@dataclass(frozen=True)
class IncidentQueue:
    items: list[IncidentSummary]
    total: int


async def incident_queue(
    *,
    user_id: uuid.UUID,
    scope: IncidentScope,
    status: IncidentStatus | None,
    kind: IncidentKind | None,
    sort: str,
    descending: bool,
    limit: int,
    offset: int,
) -> IncidentQueue:
    """The API's list (same scopes, same eyes) with a kind filter, a sort and a total for staff."""
    listing, total = await staff_queue(
        user_id=user_id,
        scope=scope,
        status=status.value if status is not None else None,
        kind=kind.value if kind is not None else None,
        sort=sort,
        descending=descending,
        limit=limit,
        offset=offset,
    )
    if listing is None:
        return IncidentQueue([], 0)
    return IncidentQueue(_incident_presenters.incident_page(listing, limit=limit, offset=offset).items, total)


async def incident(*, user_id: uuid.UUID, incident_id: uuid.UUID) -> IncidentRead:
    """One incident with its history as the API's GET answers it (404 for one the caller may not see)."""
    return await incident_answer(await read_incident(user_id=user_id, incident_id=incident_id))


async def incident_photo_file(*, user_id: uuid.UUID, incident_id: uuid.UUID, rendition: str) -> Path:
    """The API's photo route's file: one rendition for those who may see the incident, else 404."""
    return await incident_photo(
        user_id=user_id, incident_id=incident_id, rendition=rendition, private=private_store(), public=public_store()
    )


async def incident_routing_read(*, user_id: uuid.UUID, community_id: uuid.UUID) -> list[RoutingRead]:
    rules = await incident_routing(user_id=user_id, community_id=community_id)
    return [_incident_presenters.routing_read(rule) for rule in rules]


async def may_see_incidents(user_id: uuid.UUID) -> bool:
    """Whether any incident list of the API may hold something for this person: they coordinate
    volunteers somewhere, or belong to an organisation that can act as a responsible party."""
    if await coordinates_incidents(user_id):
        return True
    # A grid's workers receive what routing by place sends them, for the residents' committee.
    kinds = {kind.value for kind in PARTY_KINDS.values()} | {OrganisationKind.grid.value}
    found = await organisations(await member_organisation_ids(user_id))
    return any(ref.kind in kinds for ref in found.values())


@dataclass(frozen=True)
class ForwardChoice:
    party: str
    organisation_id: uuid.UUID
    organisation_name: dict[str, str]


async def forward_choices(community_id: uuid.UUID) -> list[ForwardChoice]:
    """Every (party, organisation) a coordinator may forward this community's incident to: the
    organisations ``check_party_organisation`` accepts (of the party's kind, attached to the
    community or to the street or district above it; the residents' committee is the community or
    one of its grids)."""
    community = await load_community(community_id)
    above = await organisations(ancestor_ids(community["path"]))
    levels = {ref.id: ref for ref in above.values() if ref.kind in SERVING_LEVELS}
    top = min(levels.values(), key=lambda ref: len(ref.path))
    choices = [ForwardChoice(DEFAULT_PARTY.value, community["id"], levels[community["id"]].name)]
    for grid in await organisations_under(levels[community["id"]].path, kind=OrganisationKind.grid):
        if not grid.retired:  # its workers act for the residents' committee
            choices.append(ForwardChoice(DEFAULT_PARTY.value, grid.id, grid.name))
    for party, org_kind in PARTY_KINDS.items():
        if party is DEFAULT_PARTY:
            continue
        for ref in await organisations_under(top.path, kind=org_kind):
            parents = ancestor_ids(ref.path)[-2:-1]
            if parents and parents[0] in levels and not ref.retired:
                choices.append(ForwardChoice(party.value, ref.id, ref.name))
    return choices


async def reports_waiting(*, user_id: uuid.UUID) -> int:
    """Reports waiting for this person in the reports room's queues (``waiting_count``)."""
    return await waiting_count(user_id)


# --- meetings: the console's convenors' room reads and changes through the API's own services ----


async def may_see_meetings(user_id: uuid.UUID) -> bool:
    """The convenors' room's door: the person may convene in some community, or an organisation
    where they hold a role owns a meeting's follow-up action."""
    return bool(await convening_communities(user_id)) or await owns_actions(user_id)
