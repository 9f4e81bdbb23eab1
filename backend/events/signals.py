"""What the events domain announces (through the core outbox), and its cache namespace."""

CACHE_NAMESPACE = "events"

EVENT_CANCELLED = "events.event_cancelled"  # {event_id, registrations: [{registration_id, user_id}]}
EVENT_CHANGED = "events.event_changed"  # {event_id, changed: [field, ...]}
REGISTRATION_CONFIRMED = "events.registration_confirmed"  # {registration_id, event_id, user_id}
REGISTRATION_WAITLISTED = "events.registration_waitlisted"  # {registration_id, event_id, user_id, position}
REGISTRATION_PROMOTED = "events.registration_promoted"  # {registration_id, event_id, user_id}
REGISTRATION_CANCELLED = "events.registration_cancelled"  # {registration_id, event_id, user_id}
ATTENDANCE_RECORDED = "events.attendance_recorded"  # {registration_id, event_id, user_id, party_size, checked_in_at, referred_by}
