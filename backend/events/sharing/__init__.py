"""Sharing: share links (short codes that point back to an event and its sharer) and share
cards (the event's poster with a code that opens it)."""
