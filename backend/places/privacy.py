"""The places domain's part of a person's export and erasure: where they said they live, the
buildings they head, the documents they acknowledged."""

from __future__ import annotations

import uuid
from typing import Any

from backend.core import privacy
from backend.core.db import transaction
from backend.places.tables import Acknowledgement, BuildingHead, Residence


async def export_places(user_id: uuid.UUID) -> dict[str, Any]:
    residence = (
        await Residence.select(
            Residence.estate,
            Residence.estate.name.as_alias("estate_name"),
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
    heads = await BuildingHead.select(
        BuildingHead.building, BuildingHead.building.label.as_alias("building_label"), BuildingHead.appointed_at
    ).where(BuildingHead.user == user_id)
    acknowledgements = (
        await Acknowledgement.select(
            Acknowledgement.version._.document.as_alias("document"),
            Acknowledgement.version._.document._.title.as_alias("title"),
            Acknowledgement.version.number.as_alias("version"),
            Acknowledgement.acknowledged_at,
        )
        .where(Acknowledgement.user == user_id)
        .output(load_json=True)
    )
    return {"residence": residence, "building_heads": heads, "acknowledgements": acknowledgements}


async def erase_places(erasure: privacy.Erasure) -> None:
    """Where they live, their building-head posts and their acknowledgements all go: an
    acknowledgement is the person's own statement, so the counts drop with it."""
    async with transaction(Residence._meta.db):
        await Residence.delete().where(Residence.user == erasure.user_id)
        await BuildingHead.delete().where(BuildingHead.user == erasure.user_id)
        await Acknowledgement.delete().where(Acknowledgement.user == erasure.user_id)
