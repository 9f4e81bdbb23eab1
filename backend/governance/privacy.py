"""The governance domain's part of a person's export and erasure: each sub-package says its own."""

from __future__ import annotations

import uuid
from typing import Any

from backend.core.privacy import Erasure
from backend.governance.meetings import privacy as meetings_privacy
from backend.governance.surveys import privacy as surveys_privacy


async def export_governance(user_id: uuid.UUID) -> dict[str, Any]:
    return {
        "meetings": await meetings_privacy.export_meetings(user_id),
        "surveys": await surveys_privacy.export_surveys(user_id),
    }


async def erase_governance(erasure: Erasure) -> None:
    await meetings_privacy.erase_meetings(erasure.user_id)
    await surveys_privacy.erase_surveys(erasure.user_id)
