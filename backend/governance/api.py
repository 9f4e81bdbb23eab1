"""The governance domain's public face: what it announces (typed signal payloads) for the domains
after it (notifications tells residents) and what they may read (the public board, for web's page). Later domains import this module, never governance's
tables or internals."""

from __future__ import annotations

# --- meetings
from backend.governance.meetings.board import community_board
from backend.governance.meetings.schemas import BoardRead
from backend.governance.meetings.signals import ActionChanged, MinutesPublished

__all__ = ["ActionChanged", "BoardRead", "MinutesPublished", "community_board"]
