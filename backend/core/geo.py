"""Points on the map: parsing ``near=lat,lng`` and the distance between two points.

Coordinates are GCJ-02, as WeChat maps give them; its offset from WGS-84 is the same for nearby
points, so distances between them come out right.
"""

from __future__ import annotations

import math

from backend.core.errors import DomainError
from backend.core.i18n import N_

EARTH_RADIUS_M = 6_371_000


def parse_point(text: str | None) -> tuple[float, float] | None:
    """``"31.29,120.62"`` → (31.29, 120.62); None stays None; anything else is a 400."""
    if text is None:
        return None
    try:
        lat, lng = (float(part) for part in text.split(","))
    except ValueError:
        raise DomainError("near_invalid", N_("Give a point as latitude,longitude."), status=400) from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise DomainError("near_invalid", N_("Give a point as latitude,longitude."), status=400)
    return lat, lng


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))
