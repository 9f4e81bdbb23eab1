"""Response bodies of calendars."""

from __future__ import annotations

from typing import Annotated

import msgspec


class CalendarFeedRead(msgspec.Struct):
    url: Annotated[str, msgspec.Meta(description="the feed's address, to subscribe to in a calendar app; shown once")]
    token: Annotated[str, msgspec.Meta(description="the secret in that address; only its hash is kept")]
