"""What the volunteers domain announces (through the core outbox)."""

# {entry_id, user_id, team_id, community_id, kind, minutes, service_date, verified_by, verified_at}
# Exactly once per ledger entry; ``minutes`` is negative for a correction that takes hours away.
HOURS_VERIFIED = "volunteers.hours_verified"
# {shift_id, team_id, signups: [{signup_id, user_id}]}: a coordinator called a shift off.
SHIFT_CANCELLED = "volunteers.shift_cancelled"
# {incident_id, reporter_id, status, party}: the reporter's incident moved on.
INCIDENT_CHANGED = "volunteers.incident_changed"
