"""Libraries: branches and e-reading rooms, opening hours with holidays and exceptions, live
free seats, and finding a branch open near you."""

from backend.core.domain import Domain
from backend.libraries import demo
from backend.libraries.controllers import LibraryController

DOMAIN = Domain(
    name="libraries",
    builds_on=("core", "accounts", "events"),
    piccolo_apps=("backend.libraries.piccolo_app",),
    routes=lambda settings: (LibraryController,),
    seed_demo=demo.seed,
    tags=(("libraries", "Library branches, opening hours, e-reading seats"),),
)
