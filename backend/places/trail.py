"""The places domain's audit entries: one per staff change, in the transaction that makes it,
filed under the community with ``manage_places``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from backend.core import audit
from backend.places.access import MANAGE


async def record(
    action: str,
    *,
    community_id: uuid.UUID,
    object_type: str,
    object_id: Any,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    await audit.record(
        f"places.{action}",
        object_type=object_type,
        object_id=object_id,
        organisation_id=community_id,
        permission=MANAGE.value,
        before=before,
        after=after,
    )
