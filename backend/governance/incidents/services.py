"""Incidents: reported by patrols and residents, routed to the party that must act (居·物·业·警·民).

A report is checked by WeChat's text-safety API first: "risky" text is refused, "review" text (or
text WeChat could not check) is kept but held for a coordinator to read. Every status change is one
conditional UPDATE from the status the caller saw, so two coordinators pressing at once record one
change, and every change is written to the history, the audit trail and announced in the same
transaction. Photos are private files under random names (``storage``), served only to those who
may see the incident.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import structlog

from backend.accounts.api import ancestor_ids, wechat_address
from backend.core import audit, clock, signals
from backend.core.errors import DomainError, Forbidden, NotFound
from backend.core.i18n import N_
from backend.core.images import ImageLimits, process_image
from backend.core.media import MediaStore
from backend.core.wechat import WechatClient, WechatError, WechatUnavailable
from backend.governance.incidents.names import status_name
from backend.governance.incidents.queries import Viewer, load_community, visible_incident
from backend.governance.incidents.routing import check_party_organisation, party_organisation, route_for
from backend.governance.incidents.schemas import IncidentCreate, IncidentUpdate
from backend.governance.incidents.signals import IncidentChanged
from backend.governance.incidents.tables import Incident, IncidentChange, IncidentStatus, Moderation
from backend.places.api import place_of_report
from backend.volunteers.api import delete_files, get_team, load_shift

log = structlog.get_logger("linli.incidents")

PHOTO_FOLDER = "incident-photos"  # in the private store
LEGACY_PHOTO_FOLDER = "incidents/"  # photos stored before they were private: in the public media store
RESPONSIBLE_PARTY = "responsible_party"  # the audit's name for the say a party's staff have
# (from, to) → who may make the change.
TRANSITIONS: Mapping[tuple[IncidentStatus, IncidentStatus], frozenset[str]] = {
    (IncidentStatus.reported, IncidentStatus.acknowledged): frozenset({"coordinator"}),
    (IncidentStatus.acknowledged, IncidentStatus.forwarded): frozenset({"coordinator"}),
    (IncidentStatus.acknowledged, IncidentStatus.resolved): frozenset({"coordinator"}),
    (IncidentStatus.forwarded, IncidentStatus.resolved): frozenset({"coordinator", "responsible_party"}),
}


def _clean_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise DomainError("incident_text_empty", N_("Please describe what you saw."), status=422)
    # Line breaks are how people write a report; other control characters are never meant.
    if not all(ch.isprintable() or ch in "\n\t" for ch in text):
        raise DomainError("incident_text_invalid", N_("The text cannot contain control characters."), status=422)
    return text


async def _moderate(wechat: WechatClient, user_id: uuid.UUID, text: str) -> Moderation:
    """clear, or held for a coordinator; "risky" text is refused and nothing is stored."""
    if not wechat.configured:
        return Moderation.clear
    address = await wechat_address(user_id)
    openid = address.openid if address else None
    if not openid or openid.startswith("dev:"):
        return Moderation.clear  # WeChat only checks text of people it knows
    try:
        suggest = await wechat.msg_sec_check(openid=openid, content=text)
    except (WechatError, WechatUnavailable) as error:
        # Fail safe: the report is not lost, and a person reads it before the party does.
        log.warning("incidents.text_check_failed", error=str(error))
        return Moderation.held
    if suggest == "risky":
        raise DomainError(
            "text_refused", N_("This text cannot be sent. Please describe the problem in other words."), status=422
        )
    return Moderation.held if suggest == "review" else Moderation.clear


async def _team_and_shift(
    community: Mapping[str, Any], team_id: uuid.UUID | None, shift_id: uuid.UUID | None
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    if shift_id is not None:
        shift = await load_shift(shift_id)
        if team_id is not None and shift.team != team_id:
            raise DomainError("incident_shift_elsewhere", N_("This shift belongs to another team."), status=422)
        team_id = shift.team
    if team_id is not None:
        team = await get_team(team_id)
        # A team may serve the community itself or the street above it.
        if team.community not in ancestor_ids(community["path"]):
            raise DomainError("incident_team_elsewhere", N_("This team does not serve this community."), status=422)
    return team_id, shift_id


def _changed(incident_id: uuid.UUID, reporter: uuid.UUID | None, status: str, party: str) -> IncidentChanged:
    return IncidentChanged(incident_id=incident_id, reporter_id=reporter, status=status, party=party)


async def report_incident(*, user_id: uuid.UUID, data: IncidentCreate, wechat: WechatClient) -> uuid.UUID:
    """Any logged-in person reports; the routing of the community decides who must act."""
    community = await load_community(data.community_id)
    text = _clean_text(data.text)
    if (data.latitude is None) != (data.longitude is None):
        raise DomainError(
            "incident_location_incomplete", N_("Send both latitude and longitude, or neither."), status=422
        )
    team_id, shift_id = await _team_and_shift(community, data.team_id, data.shift_id)
    place = await place_of_report(
        community_id=community["id"],
        latitude=data.latitude,
        longitude=data.longitude,
        estate_id=data.estate_id,
        building_id=data.building_id,
    )
    moderation = await _moderate(wechat, user_id, text)  # outside the transaction: a network call
    route = await route_for(community_id=community["id"], kind=data.kind.value, place=place)
    party, organisation = route.party, route.organisation
    now = clock.now()
    incident = Incident(
        reporter=user_id,
        community=community["id"],
        team=team_id,
        shift=shift_id,
        kind=data.kind.value,
        text=text,
        moderation=moderation.value,
        photo={},
        latitude=data.latitude,
        longitude=data.longitude,
        party=party,
        party_organisation=organisation,
        status=IncidentStatus.reported.value,
        estate=place.estate_id if place else None,
        grid=place.grid_id if place else None,
        route_reason=route.reason.value,
        created_at=now,
        updated_at=now,
    )
    async with signals.atomic():
        await incident.save()
        await IncidentChange(
            incident=incident.id,
            status=IncidentStatus.reported.value,
            actor=user_id,
            actor_role="reporter",
            party=party,
            created_at=now,
        ).save()
        await signals.emit(_changed(incident.id, user_id, IncidentStatus.reported.value, party))
    return incident.id


async def set_incident_photo(
    *, user_id: uuid.UUID, incident_id: uuid.UUID, data: bytes, store: MediaStore, limits: ImageLimits
) -> dict[str, str]:
    """The reporter adds a photo while the report is new; it is stored without EXIF or GPS, in the
    private ``store`` under a random name (never the content's hash, which a poster of the same
    picture would share). Returns its renditions' private paths by rendition."""
    row, viewer = await visible_incident(user_id=user_id, incident_id=incident_id)
    if not viewer.reporter:
        raise Forbidden()
    _check_photo_open(row["status"])
    image = await process_image(data, limits=limits)
    name = secrets.token_hex(16)
    photo = {r.key: f"{PHOTO_FOLDER}/{name}-{r.key}" for r in image.renditions}
    await store.write_many({photo[r.key]: r.data for r in image.renditions})
    updated = (
        await Incident.update({Incident.photo: photo, Incident.updated_at: clock.now()})
        .where((Incident.id == incident_id) & (Incident.status == IncidentStatus.reported.value))
        .returning(Incident.id)
    )
    if not updated:
        delete_files(store, photo.values())
        _check_photo_open(IncidentStatus.acknowledged.value)  # a coordinator took it up meanwhile
    delete_files(store, (path for path in (row["photo"] or {}).values() if path.startswith(PHOTO_FOLDER)))
    return photo


async def incident_photo(
    *, user_id: uuid.UUID, incident_id: uuid.UUID, rendition: str, private: MediaStore, public: MediaStore
) -> Path:
    """The file of one rendition of an incident's photo, for those who may see the incident; 404
    for anyone else, as the incident itself answers. Photos from before they were private are
    still in the public store until ``linli migrate`` moves them."""
    row, _viewer = await visible_incident(user_id=user_id, incident_id=incident_id)
    path = str((row["photo"] or {}).get(rendition) or "")
    found = (public if path.startswith(LEGACY_PHOTO_FOLDER) else private).locate(path) if path else None
    if found is None:
        raise NotFound("incident_photo_not_found", N_("This incident has no such photo."))
    return found


def _check_photo_open(status: str) -> None:
    if status != IncidentStatus.reported.value:
        raise DomainError(
            "incident_photo_closed", N_("A photo can only be added before the report is taken up."), status=409
        )


def _transition_invalid(source: str, target: str) -> DomainError:
    return DomainError(
        "incident_transition_invalid",
        N_("This incident cannot go from {from_name} to {to_name}."),
        params={"from": source, "to": target, "from_name": status_name(source), "to_name": status_name(target)},
        status=409,
    )


def _actor_role(viewer: Viewer, allowed: frozenset[str]) -> str:
    if viewer.party and RESPONSIBLE_PARTY in allowed:
        return RESPONSIBLE_PARTY
    if viewer.coordinator and "coordinator" in allowed:
        return "coordinator"
    raise Forbidden()


async def _forward_to(row: Mapping[str, Any], change: IncidentUpdate) -> tuple[str, uuid.UUID | None]:
    """The party (and organisation) a forwarded incident goes to: the routing's, or the
    coordinator's choice, which must be of the party's kind and serve the community."""
    if change.party is None and change.party_organisation_id is None:
        return row["party"], row["party_organisation"]
    if change.status is not IncidentStatus.forwarded:
        raise DomainError(
            "incident_party_fixed", N_("The responsible party can only be changed when forwarding."), status=422
        )
    party = change.party.value if change.party is not None else row["party"]
    if change.party_organisation_id is not None:
        community = await load_community(row["community"])
        await check_party_organisation(party=party, organisation_id=change.party_organisation_id, community=community)
        return party, change.party_organisation_id
    return party, party_organisation(party, None, row["community"])


async def change_incident_status(*, user_id: uuid.UUID, incident_id: uuid.UUID, change: IncidentUpdate) -> None:
    """Move an incident on: coordinators acknowledge, forward or resolve; the party resolves."""
    row, viewer = await visible_incident(user_id=user_id, incident_id=incident_id)
    if not (viewer.coordinator or viewer.party):
        raise Forbidden()
    source, target = IncidentStatus(row["status"]), change.status
    allowed = TRANSITIONS.get((source, target))
    if allowed is None:
        raise _transition_invalid(source.value, target.value)
    actor_role = _actor_role(viewer, allowed)
    party, organisation = await _forward_to(row, change)
    now = clock.now()
    values: dict[Any, Any] = {
        Incident.status: target.value,
        Incident.updated_at: now,
        Incident.party: party,
        Incident.party_organisation: organisation,
    }
    if target is IncidentStatus.acknowledged:
        values[Incident.moderation] = Moderation.clear.value  # a coordinator has read it
    async with signals.atomic():
        moved = (
            await Incident.update(values)
            .where((Incident.id == incident_id) & (Incident.status == source.value))
            .returning(Incident.id)
        )
        if not moved:
            current = await Incident.select(Incident.status).where(Incident.id == incident_id).first()
            raise _transition_invalid(current["status"] if current else source.value, target.value)
        await IncidentChange(
            incident=incident_id,
            status=target.value,
            actor=user_id,
            actor_role=actor_role,
            note=change.note.strip(),
            party=party,
            created_at=now,
        ).save()
        await signals.emit(_changed(incident_id, row["reporter"], target.value, party))
        await _audit(row, viewer, actor_role, target, values, change.note.strip())


async def _audit(
    row: Mapping[str, Any], viewer: Viewer, actor_role: str, target: IncidentStatus, values: dict[Any, Any], note: str
) -> None:
    """A coordinator's step is filed under the community; a party's under its own organisation."""
    as_party = actor_role == RESPONSIBLE_PARTY
    await audit.record(
        f"volunteers.incident_{target.value}",
        object_type="incident",
        object_id=row["id"],
        organisation_id=row["party_organisation"] if as_party else row["community"],
        permission=RESPONSIBLE_PARTY if as_party else viewer.coordinating_as or "",
        before={"status": row["status"], "party": row["party"], "party_organisation": row["party_organisation"]},
        after={
            "status": target.value,
            "party": values[Incident.party],
            "party_organisation": values[Incident.party_organisation],
            "note": note,
        },
    )
