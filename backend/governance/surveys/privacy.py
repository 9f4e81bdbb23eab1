"""Governance surveys in a person's export and erasure.

What a person answered cannot be exported: it was never stored with them (answers only add to
counters, see ``tables.py``). The export lists the surveys they took part in and says so. Erasure
removes those participation rows; the counters keep the answer (it names nobody) and a household's
mark stays on its unit, so the household still cannot answer twice.
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.core import clock
from backend.core.db import transaction
from backend.core.i18n import N_, _, pick
from backend.governance.surveys.tables import Participation

NOT_LINKED = N_("Your answers are counted anonymously and are not kept with your name, so they cannot be shown here.")


async def export_surveys(user_id: uuid.UUID) -> dict[str, Any]:
    rows = (
        await Participation.select(
            Participation.survey,
            Participation.survey.title.as_alias("title"),
            Participation.survey.kind.as_alias("kind"),
            Participation.answered_at,
        )
        .where(Participation.user == user_id)
        .order_by(Participation.answered_at)
        .output(load_json=True)
    )
    return {
        "answers": _(NOT_LINKED),
        "took_part": [
            {
                "survey_id": str(row["survey"]),
                "kind": row["kind"],
                "title": pick(row["title"])[0],
                "answered_at": clock.iso(row["answered_at"]),
            }
            for row in rows
        ],
    }


async def erase_surveys(user_id: uuid.UUID) -> None:
    async with transaction(Participation._meta.db):
        await Participation.delete().where(Participation.user == user_id)
