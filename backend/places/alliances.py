"""Estate alliances (小区联盟, PROPOSAL-007 §二.1): one per community, its estates as flagship
(旗舰), partner (协力) or allied (联合) members, an estate in at most one; shared documents kept as
versioned multilingual text, and residents' acknowledgements of a version, once each."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from backend.accounts.api import lock_organisation, lock_person
from backend.core import clock
from backend.core.db import UNIQUE_VIOLATIONS, lock_row, transaction
from backend.core.values import as_uuid
from backend.places import access, errors, trail
from backend.places.schemas import AllianceRoleCode, MemberIn
from backend.places.tables import (
    Acknowledgement,
    Alliance,
    AllianceDocument,
    AllianceMember,
    AllianceRole,
    DocumentVersion,
    Estate,
    Residence,
)


async def alliance_row(alliance_id: uuid.UUID) -> dict[str, Any]:
    row = await Alliance.select().where(Alliance.id == alliance_id).output(load_json=True).first()
    if row is None:
        raise errors.alliance_not_found()
    return row


async def _check_members(community_id: uuid.UUID, members: Sequence[MemberIn], alliance_id: Any = None) -> None:
    """Estates of the community, not in another alliance, at most one flagship in all."""
    ids = [m.estate_id for m in members]
    found = {
        row["id"]: row["community"]
        for row in await Estate.select(Estate.id, Estate.community).where(Estate.id.is_in(ids or [uuid.uuid4()]))
    }
    for estate_id in ids:
        if estate_id not in found:
            raise errors.estate_not_found()
        if found[estate_id] != community_id:
            raise errors.estate_outside_community()
    elsewhere = AllianceMember.exists().where(AllianceMember.estate.is_in(ids or [uuid.uuid4()]))
    if alliance_id is not None:
        elsewhere = elsewhere.where(AllianceMember.alliance != alliance_id)
    if await elsewhere:
        raise errors.estate_in_alliance()
    flagships: list[Any] = [m for m in members if m.role == AllianceRole.flagship.value]
    if alliance_id is not None and flagships:
        flagships += await AllianceMember.select(AllianceMember.estate).where(
            (AllianceMember.alliance == alliance_id)
            & (AllianceMember.role == AllianceRole.flagship.value)
            & AllianceMember.estate.not_in(ids)
        )
    if len(flagships) > 1:
        raise errors.one_flagship()


async def _insert_members(alliance_id: uuid.UUID, members: Sequence[MemberIn], now: datetime) -> None:
    if not members:
        return
    try:
        await AllianceMember.insert(
            *(AllianceMember(alliance=alliance_id, estate=m.estate_id, role=m.role, joined_at=now) for m in members)
        )
    except UNIQUE_VIOLATIONS:
        # Another alliance took one of the estates at the same moment: one wins.
        raise errors.estate_in_alliance() from None


async def create_alliance(
    *, user_id: uuid.UUID | None, community_id: uuid.UUID, name: Mapping[Any, str], members: Sequence[MemberIn]
) -> uuid.UUID:
    """The community's alliance (one per community) with its first member estates."""
    community = await access.community_of(community_id)
    await access.require_manage(user_id, community.id)
    if len({m.estate_id for m in members}) != len(members):
        raise errors.estate_in_alliance()
    now = clock.now()
    alliance = Alliance(community=community.id, name=dict(name), created_at=now)
    async with transaction(Alliance._meta.db):
        await lock_organisation(community.id)
        if await Alliance.exists().where(Alliance.community == community.id):
            raise errors.alliance_exists()
        await _check_members(community.id, members)
        try:
            await alliance.save()
        except UNIQUE_VIOLATIONS:
            raise errors.alliance_exists() from None
        await _insert_members(as_uuid(alliance.id), members, now)
        await trail.record(
            "alliance_created",
            community_id=community.id,
            object_type="alliance",
            object_id=alliance.id,
            after={"name": dict(name), "members": [{"estate": m.estate_id, "role": m.role} for m in members]},
        )
    return as_uuid(alliance.id)


async def set_member(
    *, user_id: uuid.UUID | None, alliance_id: uuid.UUID, estate_id: uuid.UUID, role: AllianceRoleCode
) -> None:
    """An estate joins the alliance, or changes its role in it."""
    alliance = await alliance_row(alliance_id)
    await access.require_manage(user_id, alliance["community"])
    async with transaction(AllianceMember._meta.db):
        await lock_row(Alliance._meta.db, Alliance._meta.tablename, alliance_id)
        await _check_members(alliance["community"], [MemberIn(estate_id=estate_id, role=role)], alliance_id)
        before = await AllianceMember.select(AllianceMember.role).where(AllianceMember.estate == estate_id).first()
        if before is None:
            await _insert_members(alliance_id, [MemberIn(estate_id=estate_id, role=role)], clock.now())
        else:
            await AllianceMember.update({AllianceMember.role: role}).where(AllianceMember.estate == estate_id)
        await trail.record(
            "alliance_member_set",
            community_id=alliance["community"],
            object_type="alliance",
            object_id=alliance_id,
            before={"estate": estate_id, "role": before["role"]} if before else None,
            after={"estate": estate_id, "role": role},
        )


async def remove_member(*, user_id: uuid.UUID | None, alliance_id: uuid.UUID, estate_id: uuid.UUID) -> None:
    alliance = await alliance_row(alliance_id)
    await access.require_manage(user_id, alliance["community"])
    async with transaction(AllianceMember._meta.db):
        removed = (
            await AllianceMember.delete()
            .where((AllianceMember.alliance == alliance_id) & (AllianceMember.estate == estate_id))
            .returning(AllianceMember.role)
        )
        if not removed:
            raise errors.estate_not_found()
        await trail.record(
            "alliance_member_removed",
            community_id=alliance["community"],
            object_type="alliance",
            object_id=alliance_id,
            before={"estate": estate_id, "role": removed[0]["role"]},
        )


# --- documents -------------------------------------------------------------------------------------


async def document_row(document_id: uuid.UUID) -> dict[str, Any]:
    row = (
        await AllianceDocument.select(
            *AllianceDocument.all_columns(), AllianceDocument.alliance.community.as_alias("community")
        )
        .where(AllianceDocument.id == document_id)
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise errors.document_not_found()
    return row


async def create_document(
    *, user_id: uuid.UUID | None, alliance_id: uuid.UUID, title: Mapping[Any, str], body: Mapping[Any, str]
) -> uuid.UUID:
    """A shared document with its first version."""
    alliance = await alliance_row(alliance_id)
    await access.require_manage(user_id, alliance["community"])
    now = clock.now()
    document = AllianceDocument(alliance=alliance_id, title=dict(title), current_version=1, created_at=now)
    async with transaction(AllianceDocument._meta.db):
        await document.save()
        await DocumentVersion.insert(DocumentVersion(document=document.id, number=1, body=dict(body), published_at=now))
        await trail.record(
            "document_created",
            community_id=alliance["community"],
            object_type="alliance_document",
            object_id=document.id,
            after={"alliance": alliance_id, "title": dict(title), "version": 1},
        )
    return as_uuid(document.id)


async def publish_version(
    *, user_id: uuid.UUID | None, document_id: uuid.UUID, body: Mapping[Any, str], title: Mapping[Any, str] | None
) -> int:
    """A new version of the text; acknowledgements of earlier versions stay with them."""
    document = await document_row(document_id)
    await access.require_manage(user_id, document["community"])
    async with transaction(AllianceDocument._meta.db):
        await lock_row(AllianceDocument._meta.db, AllianceDocument._meta.tablename, document_id)
        current = (
            await AllianceDocument.select(AllianceDocument.current_version)
            .where(AllianceDocument.id == document_id)
            .first()
        )
        number = int(current["current_version"]) + 1 if current else 1
        changes: dict[Any, Any] = {AllianceDocument.current_version: number}
        if title is not None:
            changes[AllianceDocument.title] = dict(title)
        await AllianceDocument.update(changes).where(AllianceDocument.id == document_id)
        await DocumentVersion.insert(
            DocumentVersion(document=document_id, number=number, body=dict(body), published_at=clock.now())
        )
        await trail.record(
            "document_version_published",
            community_id=document["community"],
            object_type="alliance_document",
            object_id=document_id,
            before={"version": number - 1, "title": document["title"]},
            after={"version": number, "title": dict(title) if title is not None else document["title"]},
        )
    return number


async def acknowledge(*, user_id: uuid.UUID, document_id: uuid.UUID) -> tuple[int, datetime]:
    """A resident of a member estate acknowledges the current version; once per version (again
    answers the first time)."""
    document = await document_row(document_id)
    async with transaction(Acknowledgement._meta.db):
        await lock_person(user_id)
        home = await Residence.select(Residence.estate).where(Residence.user == user_id).first()
        if home is None or not await AllianceMember.exists().where(
            (AllianceMember.estate == home["estate"]) & (AllianceMember.alliance == document["alliance"])
        ):
            raise errors.not_alliance_resident()
        version = (
            await DocumentVersion.select(DocumentVersion.id, DocumentVersion.number)
            .where((DocumentVersion.document == document_id) & (DocumentVersion.number == document["current_version"]))
            .first()
        )
        if version is None:
            raise errors.document_not_found()
        await Acknowledgement.insert(
            Acknowledgement(version=version["id"], user=user_id, estate=home["estate"], acknowledged_at=clock.now())
        ).on_conflict(target=(Acknowledgement.version, Acknowledgement.user), action="DO NOTHING")
        mine = (
            await Acknowledgement.select(Acknowledgement.acknowledged_at)
            .where((Acknowledgement.version == version["id"]) & (Acknowledgement.user == user_id))
            .first()
        )
    assert mine is not None  # inserted just now, or before
    return int(version["number"]), mine["acknowledged_at"]
