"""Volunteers: profiles, teams and their patrol routes, shifts and attendance, the hours ledger and
service records. (The incidents patrols report moved to governance.)

When a person deletes their account (``privacy.py`` says it thing by thing): their places still to
come are released and their memberships end; their profile goes with the sealed real name and
identity number; verified hours stay, anonymised, pending claims are withdrawn and their own words
cleared; service records stay checkable without a holder, their PDFs deleted.
"""

from backend.core.domain import Chore, Domain, PrivacyPart
from backend.volunteers import demo, privacy
from backend.volunteers.hours import controllers as hours_controllers
from backend.volunteers.people import controllers as people_controllers
from backend.volunteers.people.services import reseal_profiles
from backend.volunteers.shifts import controllers as shift_controllers
from backend.volunteers.shifts.attendance import close_forgotten_checkouts, mark_shift_no_shows
from backend.volunteers.teams import controllers as team_controllers

DOMAIN = Domain(
    name="volunteers",
    builds_on=("core", "accounts", "places", "events"),
    piccolo_apps=("backend.volunteers.piccolo_app",),
    routes=lambda settings: (
        *people_controllers.CONTROLLERS,
        *team_controllers.CONTROLLERS,
        *shift_controllers.CONTROLLERS,
        *hours_controllers.CONTROLLERS,
    ),
    chores=(
        Chore("forgotten_check_outs", close_forgotten_checkouts, cron="*/5 * * * *"),
        Chore("shift_no_shows", mark_shift_no_shows, cron="*/5 * * * *"),
    ),
    privacy=PrivacyPart(export=privacy.export_volunteering, erase=privacy.erase_volunteering),
    seed_demo=demo.seed,
    reseal=reseal_profiles,
    tags=(
        ("volunteers", "Volunteer profiles, teams, patrol routes, shifts and attendance"),
        ("hours", "The volunteer hours ledger, verification, service records"),
    ),
)
