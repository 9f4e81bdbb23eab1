"""The governance domain's part of a person's export and erasure: each sub-package says its own.

Incident reports stay for the community's record but lose their words (a marker the answers
explain), their exact place and their photo (files deleted once the rows no longer name them);
the reporter and the changes they made point at nobody.
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.core.db import transaction
from backend.core.privacy import Erasure
from backend.governance.incidents import privacy as incident_privacy
from backend.governance.incidents.tables import Incident
from backend.governance.meetings import privacy as meetings_privacy
from backend.governance.surveys import privacy as surveys_privacy


async def export_governance(user_id: uuid.UUID) -> dict[str, Any]:
    return {
        "incidents_reported": await incident_privacy.export_reports(user_id),
        "meetings": await meetings_privacy.export_meetings(user_id),
        "surveys": await surveys_privacy.export_surveys(user_id),
    }


async def erase_governance(erasure: Erasure) -> None:
    async with transaction(Incident._meta.db):
        photos = await incident_privacy.forget_person(erasure.user_id)
    await incident_privacy.delete_photos(photos)
    await meetings_privacy.erase_meetings(erasure.user_id)
    await surveys_privacy.erase_surveys(erasure.user_id)
