"""What the console's surveys room reads beyond the API's operations, by the API's own rules: the
communities a person runs surveys for (``access.MANAGE`` there or above), their surveys, polls and
evaluations with the evaluations the person's own organisation must respond to, the audiences
``services._check_audience`` accepts (the community, its estates, its alliance, its grids), the
estates a poll or evaluation may be of, and one survey as its staff read it (the API's answer,
its published results, whether the person may write the evaluated body's response). Every change
still goes through the API's services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.accounts.api import (
    OrganisationKind,
    OrganisationRef,
    communities_in_scope,
    member_organisation_ids,
    organisations,
    organisations_under,
)
from backend.core import clock
from backend.core.errors import Forbidden
from backend.core.i18n import pick
from backend.core.values import as_uuid
from backend.governance.surveys import access, presenters, results
from backend.governance.surveys.schemas import ResultsRead, SurveyRead
from backend.governance.surveys.services import state_of, survey_row
from backend.governance.surveys.tables import Audience, EvaluationResponse, Survey, SurveyKind
from backend.places.api import SMALL_CELL, aim_names, community_alliances, estates, estates_of_community, unit_totals

STATES = ("upcoming", "open", "closed")
KINDS = tuple(kind.value for kind in SurveyKind)


async def running_communities(user_id: uuid.UUID) -> list[OrganisationRef]:
    """The communities (in service) whose surveys this person runs, in tree order."""
    return await communities_in_scope(user_id, access.MANAGE)


def _to_respond(bodies: list[uuid.UUID]) -> Any:
    """Evaluations of a body the person belongs to (a property company's staff write its response)."""
    return (Survey.kind == SurveyKind.evaluation.value) & Survey.subject.is_in(bodies)


async def may_see_surveys(user_id: uuid.UUID) -> bool:
    """The surveys room's door: the person runs surveys in some community, or an organisation where
    they hold a role is the subject of an evaluation (its staff respond to it)."""
    if await running_communities(user_id):
        return True
    bodies = await member_organisation_ids(user_id)
    return bool(bodies) and await Survey.exists().where(_to_respond(bodies))


@dataclass(frozen=True)
class RunSurvey:
    read: SurveyRead
    community: str
    audience: str


@dataclass(frozen=True)
class SurveyPage:
    items: list[RunSurvey]
    total: int


def _state_filter(state: str | None, now: datetime) -> Any:
    if state == "upcoming":
        return Survey.opens_at > now
    if state == "open":
        return (Survey.opens_at <= now) & (Survey.closes_at > now)
    if state == "closed":
        return Survey.closes_at <= now
    return None


async def audience_names(rows: list[dict[str, Any]]) -> dict[uuid.UUID, str]:
    """{audience id: name} for these surveys' audiences, in the reader's language."""
    wanted: dict[str, set[uuid.UUID]] = {kind.value: set() for kind in Audience}
    for row in rows:
        wanted[row["audience"]].add(as_uuid(row["audience_id"]))
    names = await aim_names(estate_ids=wanted["estate"], alliance_ids=wanted["alliance"])
    found: dict[uuid.UUID, Any] = {**names.estates, **names.alliances}
    for ref in (await organisations(wanted["community"] | wanted["grid"])).values():
        found[ref.id] = ref.name
    return {key: pick(dict(value))[0] for key, value in found.items()}


async def surveys_run(
    *,
    user_id: uuid.UUID,
    community_id: uuid.UUID | None,
    state: str | None,
    kind: str | None,
    limit: int,
    offset: int,
) -> SurveyPage:
    """The surveys, polls and evaluations of the communities the person runs them for, and the
    evaluations of their own organisations, the latest opening first; the count of answers as the
    API shows it (to the community's staff only)."""
    communities = {ref.id: ref for ref in await running_communities(user_id)}
    chosen = [c for c in ([community_id] if community_id is not None else list(communities)) if c in communities]
    bodies = await member_organisation_ids(user_id) if community_id is None else []
    where: Any = None
    if chosen:
        where = Survey.community.is_in(chosen)
    if bodies:
        theirs = _to_respond(bodies)
        where = theirs if where is None else where | theirs
    if where is None:
        return SurveyPage([], 0)
    now = clock.now()
    for extra in (_state_filter(state, now), Survey.kind == kind if kind in KINDS else None):
        if extra is not None:
            where = where & extra
    total = await Survey.count().where(where)
    rows = (
        await Survey.select()
        .where(where)
        .order_by(Survey.opens_at, ascending=False)
        .limit(limit)
        .offset(offset)
        .output(load_json=True)
    )
    places = await audience_names(rows)
    names = {ref.id: ref.name for ref in (await organisations({as_uuid(r["community"]) for r in rows})).values()}
    return SurveyPage(
        [
            RunSurvey(
                read=presenters.survey(row, state_of(row, now), show_answers=as_uuid(row["community"]) in communities),
                community=pick(names.get(as_uuid(row["community"]), {}))[0],
                audience=places.get(as_uuid(row["audience_id"]), ""),
            )
            for row in rows
        ],
        total,
    )


@dataclass(frozen=True)
class AudienceGroup:
    """A community and the audiences a survey of it may have, as ``<community>:<kind>:<id>``."""

    community: str
    choices: list[tuple[str, str]]


async def community_parts(ref: OrganisationRef) -> list[tuple[str, uuid.UUID, str]]:
    """The places a community's survey or meeting may be for, as (kind, id, name in the reader's
    language): the community itself, its estates, its alliance, its grids (in service)."""
    parts = [("community", ref.id, pick(ref.name)[0])]
    places = sorted(await estates_of_community(ref.id), key=lambda e: pick(e.name)[0])
    parts += [("estate", e.id, pick(e.name)[0]) for e in places]
    parts += [("alliance", key, pick(value)[0]) for key, value in await community_alliances(ref.id)]
    grids = [g for g in await organisations_under(ref.path, kind=OrganisationKind.grid) if not g.retired]
    parts += [("grid", g.id, pick(g.name)[0]) for g in sorted(grids, key=lambda g: g.path)]
    return parts


async def audience_choices(communities: list[OrganisationRef]) -> list[AudienceGroup]:
    """What ``services._check_audience`` accepts for each community (``community_parts``)."""
    groups = []
    for ref in communities:
        choices = [(f"{ref.id}:{kind}:{key}", name) for kind, key, name in await community_parts(ref)]
        groups.append(AudienceGroup(pick(ref.name)[0], choices))
    return groups


@dataclass(frozen=True)
class EstateChoice:
    id: uuid.UUID
    name: str
    community: str
    units: int
    has_company: bool


async def estate_choices(communities: list[OrganisationRef]) -> list[EstateChoice]:
    """The estates an owners' poll or an evaluation may be of, with their imported units (a poll
    counts them) and whether a property company serves them (one may be evaluated)."""
    found = []
    for ref in communities:
        for estate in sorted(await estates_of_community(ref.id), key=lambda e: pick(e.name)[0]):
            found.append(
                EstateChoice(
                    id=estate.id,
                    name=pick(estate.name)[0],
                    community=pick(ref.name)[0],
                    units=(await unit_totals(estate.id)).units,
                    has_company=estate.property_company_id is not None,
                )
            )
    return found


@dataclass(frozen=True)
class StaffView:
    """A survey as its staff (or the evaluated body's) read it in the console."""

    read: SurveyRead
    community: str
    audience: str
    estate: str
    results: ResultsRead | None
    manages: bool
    may_respond: bool
    response: dict[str, str]  # the body's response as written, {locale: text}, to rewrite it
    smallest: int = SMALL_CELL  # counts under it are published as "fewer than"


async def staff_view(*, user_id: uuid.UUID, survey_id: uuid.UUID) -> StaffView:
    """For the community's staff, and for the evaluated body's staff of an evaluation; anyone else
    is refused as the API refuses them a survey of that community (``require_manage``)."""
    row = await survey_row(survey_id)
    community_id = as_uuid(row["community"])
    manages = await access.may_manage(user_id, community_id)
    may_respond = row["kind"] == SurveyKind.evaluation.value and await access.may_respond(
        user_id, subject_id=as_uuid(row["subject"]), community_id=community_id
    )
    if not (manages or may_respond):
        await access.require_manage(user_id, community_id)
        raise Forbidden()
    state = state_of(row)
    published = presenters.published(await results.read_results(survey_id)) if state == "closed" else None
    response = (
        await EvaluationResponse.select(EvaluationResponse.text)
        .where(EvaluationResponse.survey == survey_id)
        .output(load_json=True)
        .first()
    )
    community = (await organisations([community_id])).get(community_id)
    estate = (await estates([as_uuid(row["estate"])])).get(as_uuid(row["estate"])) if row["estate"] else None
    return StaffView(
        read=presenters.survey(row, state, show_answers=manages),
        community=pick(community.name)[0] if community else "",
        audience=(await audience_names([row])).get(as_uuid(row["audience_id"]), ""),
        estate=pick(estate.name)[0] if estate else "",
        results=published,
        manages=manages,
        may_respond=may_respond,
        response=dict(response["text"]) if response else {},
    )
