"""The meetings' audit entries: one per staff change, in the transaction that makes it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from backend.core import audit
from backend.governance.meetings.access import CONVENE


async def record(
    action: str,
    *,
    organisation_id: uuid.UUID,
    object_type: str,
    object_id: Any,
    permission: str = CONVENE.value,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    await audit.record(
        f"governance.{action}",
        object_type=object_type,
        object_id=object_id,
        organisation_id=organisation_id,
        permission=permission,
        before=before,
        after=after,
    )
