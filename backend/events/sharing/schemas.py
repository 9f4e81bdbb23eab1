"""Response bodies of sharing."""

from __future__ import annotations

import uuid

import msgspec


class ShareLinkTarget(msgspec.Struct):
    event_id: uuid.UUID
