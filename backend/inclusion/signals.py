"""What the inclusion domain announces (through the core outbox)."""

# {redemption_id, reward_id, user_id, community_id, pickup_code}: the item is set aside and can be
# picked up with the code.
REDEMPTION_RESERVED = "inclusion.redemption_reserved"
