"""Where a resident lives: said by the resident, with consent, changeable and erased with the
account. Never shown to other residents; other domains read it through ``api.py`` for
eligibility, recommendations and counts."""

from __future__ import annotations

import uuid
from typing import Any

from backend.core import clock
from backend.core.db import transaction
from backend.places import errors
from backend.places.estates import building_row, estate_row
from backend.places.schemas import ResidencePut
from backend.places.tables import Residence, Unit


async def set_residence(*, user_id: uuid.UUID, data: ResidencePut) -> None:
    """Say (or change) where I live; a unit needs its building, both must be of the estate."""
    if not data.consent:
        raise errors.consent_required()
    await estate_row(data.estate_id)
    if data.building_id is not None:
        await building_row(data.building_id, data.estate_id)
    if data.unit_id is not None:
        unit = await Unit.select(Unit.building).where(Unit.id == data.unit_id).first()
        if unit is None or data.building_id is None or unit["building"] != data.building_id:
            raise errors.unit_not_found()
    now = clock.now()
    values: dict[Any, Any] = {
        Residence.estate: data.estate_id,
        Residence.building: data.building_id,
        Residence.unit: data.unit_id,
        Residence.consented_at: now,
        Residence.updated_at: now,
    }
    async with transaction(Residence._meta.db):
        await Residence.insert(
            Residence(
                user=user_id,
                estate=data.estate_id,
                building=data.building_id,
                unit=data.unit_id,
                consented_at=now,
                updated_at=now,
            )
        ).on_conflict(target=Residence.user, action="DO UPDATE", values=list(values.items()))


async def clear_residence(*, user_id: uuid.UUID) -> None:
    """Forget where I live (consent withdrawn): nothing of it is kept."""
    async with transaction(Residence._meta.db):
        await Residence.delete().where(Residence.user == user_id)


async def residence_of(user_id: uuid.UUID) -> dict[str, Any] | None:
    return (
        await Residence.select(
            Residence.estate,
            Residence.estate.name.as_alias("estate_name"),
            Residence.estate.community.as_alias("community"),
            Residence.building,
            Residence.building.label.as_alias("building_label"),
            Residence.unit,
            Residence.unit.label.as_alias("unit_label"),
            Residence.consented_at,
            Residence.updated_at,
        )
        .where(Residence.user == user_id)
        .output(load_json=True)
        .first()
    )


async def my_residence(user_id: uuid.UUID) -> dict[str, Any]:
    """Mine, or 404 ``residence_not_set``."""
    found = await residence_of(user_id)
    if found is None:
        raise errors.residence_not_set()
    return found
