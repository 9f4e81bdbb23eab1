"""The governance domain's public face: what it announces (typed signal payloads) for the domains
after it (notifications tells residents). Later domains import this module, never governance's
tables or internals."""

from __future__ import annotations

# --- meetings
from backend.governance.meetings.signals import ActionChanged, MinutesPublished

__all__ = ["ActionChanged", "MinutesPublished"]
