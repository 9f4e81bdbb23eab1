"""Places: estates, buildings and units under a community, grids and building heads, where a
resident lives (with consent), and estate alliances with their shared documents."""

from backend.core.domain import Domain, PrivacyPart
from backend.places import demo, privacy
from backend.places.controllers import routes

DOMAIN = Domain(
    name="places",
    builds_on=("core", "accounts"),
    piccolo_apps=("backend.places.piccolo_app",),
    routes=routes,
    privacy=PrivacyPart(export=privacy.export_places, erase=privacy.erase_places),
    seed_demo=demo.seed,
    tags=(("places", "Estates, buildings, grids, where residents live, estate alliances"),),
)
