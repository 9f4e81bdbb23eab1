"""Volunteers: profiles, teams and their patrol routes, shifts and attendance, the hours ledger and
service records, and the incidents patrols report."""

from backend.core.domain import Chore, Domain, PrivacyPart
from backend.volunteers import controllers, demo, hours_controllers, incident_controllers, privacy, shift_controllers
from backend.volunteers.attendance import close_forgotten_checkouts, mark_shift_no_shows

DOMAIN = Domain(
    name="volunteers",
    builds_on=("core", "accounts", "events"),
    piccolo_apps=("backend.volunteers.piccolo_app",),
    routes=lambda settings: (
        *controllers.CONTROLLERS,
        *shift_controllers.CONTROLLERS,
        *hours_controllers.CONTROLLERS,
        *incident_controllers.CONTROLLERS,
    ),
    chores=(
        Chore("forgotten_check_outs", close_forgotten_checkouts, cron="*/5 * * * *"),
        Chore("shift_no_shows", mark_shift_no_shows, cron="*/5 * * * *"),
    ),
    privacy=PrivacyPart(export=privacy.export_volunteering, erase=privacy.erase_volunteering),
    seed_demo=demo.seed,
    tags=(
        ("volunteers", "Volunteer profiles, teams, patrol routes, shifts and attendance"),
        ("hours", "The volunteer hours ledger, verification, service records"),
        ("incidents", "What patrols report, routed to the party that must act"),
    ),
)
