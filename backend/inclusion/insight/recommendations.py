"""Events for one resident: upcoming ones they could still join, ranked by what fits them.

Candidates: published events starting within the next 30 days, with a seat or a waitlist, whose
registration has not closed, that the caller has not signed up for; at most 200, soonest first
(within 10 km of the point used for distance, when there is one). The score adds up:

=========================  ======  =================================================================
in_your_language            +3      the event is held in a language the resident speaks (other than
                                    Mandarin, which nearly every event uses)
language barrier            −2      they declared languages and the event uses none of them
near_you                    0…+3    3 at the door, falling to 0 at 10 km; the reason within 3 km
same_community              +2      the venue lies in the resident's own community
for_your_estate             +2.5    aimed at the resident's estate, alliance or grid (places); events
                                    aimed elsewhere are not candidates at all
matches_interests           +2      the category is one of their interests
welcomes_new_residents …    +2      an audience tag meant for their group (new residents, migrant-
                                    or foreigner-friendly) or for young people (14–35)
after_work_hours            +1.5    they prefer evenings and weekends and it starts 18:30+ or Sat/Sun
soon                        0…+1    1 today, 0 in 30 days (breaks ties; "this week" within 7 days)
waitlist only               −1      no seat left, only the waitlist
=========================  ======  =================================================================

Distance is measured from ``near`` when given, else from the profile's (rounded) home. Without a
profile the ranking is by distance and date alone, with generic reasons.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from backend.accounts.api import person
from backend.core import clock
from backend.core.geo import EARTH_RADIUS_M, distance_m
from backend.core.i18n import N_
from backend.core.values import as_uuid_or_none
from backend.events.api import events_held_by, masks_of, open_upcoming
from backend.inclusion.profiles.tables import ResidentGroup, ResidentProfile

HORIZON = timedelta(days=30)
MAX_CANDIDATES = 200
MAX_LIMIT = 20
MAX_REASONS = 3
NEAR_YOU_M = 3_000
REACH_M = 10_000
YOUTH_FROM, YOUTH_UNTIL = 14, 35
COMMON_LANGUAGE = "zh"  # Mandarin: nearly every event; matching it says nothing

# What each reason adds to the score.
W_LANGUAGE, W_NO_COMMON_LANGUAGE, W_NEAR, W_COMMUNITY, W_INTEREST, W_AUDIENCE, W_EVENINGS = (
    3.0,
    -2.0,
    3.0,
    2.0,
    2.0,
    2.0,
    1.5,
)
W_SOON, W_WAITLIST_ONLY = 1.0, -1.0
W_YOUR_ESTATE = 2.5  # aimed at their estate, alliance or grid: made for them, and fewer may come
# Generic reasons rank below any personal one.
W_THIS_WEEK, W_SEATS = 0.5, 0.2

REASON_TEXTS: dict[str, str] = {
    "in_your_language": N_("In your language"),
    "near_you": N_("Near you"),
    "same_community": N_("In your community"),
    "for_your_estate": N_("For residents where you live"),
    "matches_interests": N_("Matches your interests"),
    "welcomes_new_residents": N_("Welcomes new residents"),
    "migrant_friendly": N_("Migrant-friendly"),
    "foreigner_friendly": N_("Foreigner-friendly"),
    "for_young_people": N_("For young people"),
    "after_work_hours": N_("After work hours"),
    "this_week": N_("Coming up this week"),
    "seats_available": N_("Seats available"),
}
# Audience tags that welcome each resident group, and the reason each one gives.
GROUP_AUDIENCES: dict[str, tuple[str, ...]] = {
    ResidentGroup.long_term_local.value: (),
    ResidentGroup.new_resident.value: ("new_residents",),
    ResidentGroup.relocated_villager.value: ("new_residents",),
    ResidentGroup.migrant_worker.value: ("migrant_friendly", "new_residents"),
    ResidentGroup.foreign_resident.value: ("foreign_friendly", "new_residents"),
}
AUDIENCE_REASONS: dict[str, str] = {
    "new_residents": "welcomes_new_residents",
    "migrant_friendly": "migrant_friendly",
    "foreign_friendly": "foreigner_friendly",
    "youth": "for_young_people",
}


@dataclass(frozen=True)
class Taste:
    """What the resident told us, as the ranking uses it (all empty without a profile)."""

    community_id: uuid.UUID | None = None
    languages: frozenset[str] = frozenset()
    interests: frozenset[str] = frozenset()
    audiences: tuple[str, ...] = ()
    evenings_weekends: bool = False
    home: tuple[float, float] | None = None


@dataclass
class Recommendation:
    """An event row (with its venue's columns, as ``events.api.event_list_item`` takes it)."""

    row: dict[str, Any]
    distance_m: int | None
    score: float = 0.0
    weights: dict[str, float] = field(default_factory=dict)

    @property
    def reasons(self) -> list[str]:
        """The strongest few reason codes, strongest first."""
        ranked = sorted((w, code) for code, w in self.weights.items() if w > 0)
        return [code for _w, code in reversed(ranked)][:MAX_REASONS]


async def taste_of(user_id: uuid.UUID) -> Taste | None:
    """The profile as the ranking reads it; None when the resident has none."""
    profile = await ResidentProfile.select().output(load_json=True).where(ResidentProfile.user == user_id).first()
    if profile is None:
        return None
    user = await person(user_id)
    audiences = GROUP_AUDIENCES.get(profile["resident_group"] or "", ())
    birth_year = user.birth_year if user else None
    if birth_year is not None and YOUTH_FROM <= clock.city_today().year - birth_year <= YOUTH_UNTIL:
        audiences = (*audiences, "youth")
    home = None
    if profile["home_latitude"] is not None and profile["home_longitude"] is not None:
        home = (profile["home_latitude"], profile["home_longitude"])
    return Taste(
        community_id=as_uuid_or_none(profile["community"]),
        languages=frozenset(profile["languages"] or ()),
        interests=frozenset(profile["interests"] or ()),
        audiences=audiences,
        evenings_weekends=bool(profile["prefers_evenings_weekends"]),
        home=home,
    )


def _bounding_box(lat: float, lng: float, radius_m: int) -> tuple[float, float, float, float]:
    """(south, north, west, east) around a point."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlng = math.degrees(radius_m / (EARTH_RADIUS_M * max(math.cos(math.radians(lat)), 0.01)))
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


async def _candidates(user_id: uuid.UUID, point: tuple[float, float] | None, limit: int) -> list[dict[str, Any]]:
    """Soonest first, within reach of the point; farther ones too when too few are within reach."""
    now = clock.now()
    held = await events_held_by(user_id, starting_after=now)

    async def upcoming(box: tuple[float, float, float, float] | None = None) -> list[dict[str, Any]]:
        return await open_upcoming(
            starting_after=now,
            starting_before=now + HORIZON,
            excluding=held,
            box=box,
            open_to_user=user_id,
            limit=MAX_CANDIDATES,
        )

    if point is None:
        return await upcoming()
    rows = await upcoming(_bounding_box(*point, REACH_M))
    if len(rows) < limit:
        known = {row["id"] for row in rows}
        rows += [row for row in await upcoming() if row["id"] not in known]
    return rows


def _score(row: dict[str, Any], taste: Taste, point: tuple[float, float] | None, now: datetime) -> Recommendation:
    distance = round(distance_m(*point, row["latitude"], row["longitude"])) if point else None
    found = Recommendation(row=row, distance_m=distance)
    weights: dict[str, float] = {}
    if distance is not None:
        weights["near_you" if distance <= NEAR_YOU_M else "distance"] = W_NEAR * max(0.0, 1 - distance / REACH_M)
    languages, audiences = masks_of(row)
    if taste.languages & (languages - {COMMON_LANGUAGE}):
        weights["in_your_language"] = W_LANGUAGE
    elif taste.languages and languages and not taste.languages & languages:
        weights["language_barrier"] = W_NO_COMMON_LANGUAGE
    if taste.community_id is not None and as_uuid_or_none(row["community"]) == taste.community_id:
        weights["same_community"] = W_COMMUNITY
    if row["aim"] != "everyone":  # the candidates are those open to them: this one is for where they live
        weights["for_your_estate"] = W_YOUR_ESTATE
    if row["category"] in taste.interests:
        weights["matches_interests"] = W_INTEREST
    for audience in taste.audiences:
        if audience in audiences:
            weights.setdefault(AUDIENCE_REASONS[audience], W_AUDIENCE)
    if taste.evenings_weekends and row["evening_or_weekend"]:
        weights["after_work_hours"] = W_EVENINGS
    days = (row["starts_at"] - now).total_seconds() / 86_400
    weights["soon"] = W_SOON * max(0.0, 1 - days / HORIZON.days)
    has_seats = row["seats_taken"] < row["capacity"]
    if not has_seats:
        weights["waitlist_only"] = W_WAITLIST_ONLY
    found.score = round(sum(weights.values()), 2)
    # Generic reasons, weighed apart from the score so they only fill in behind personal ones.
    found.weights = {code: w for code, w in weights.items() if code in REASON_TEXTS}
    if days <= 7:
        found.weights["this_week"] = W_THIS_WEEK
    if has_seats:
        found.weights["seats_available"] = W_SEATS
    return found


async def recommend_events(
    *, user_id: uuid.UUID, near: tuple[float, float] | None, limit: int
) -> tuple[list[Recommendation], bool]:
    """The caller's best upcoming events, best first, and whether a profile shaped the ranking."""
    taste = await taste_of(user_id)
    point = near or (taste.home if taste else None)
    now = clock.now()
    rows = await _candidates(user_id, point, limit)
    ranked = [_score(row, taste or Taste(), point, now) for row in rows]
    ranked.sort(key=lambda r: (-r.score, r.row["starts_at"], str(r.row["id"])))
    return ranked[: min(limit, MAX_LIMIT)], taste is not None
