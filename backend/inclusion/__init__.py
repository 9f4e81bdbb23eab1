"""Inclusion: resident profiles and guardians, participation points and their rules, the points
supermarket, leaderboards, participation statistics and recommendations."""

from backend.core.domain import Chore, Domain, PrivacyPart
from backend.inclusion import controllers, demo, insight_controllers, listeners, privacy, reward_controllers
from backend.inclusion.points_expiry import expire_points

DOMAIN = Domain(
    name="inclusion",
    builds_on=("core", "accounts", "events", "libraries", "volunteers"),
    piccolo_apps=("backend.inclusion.piccolo_app",),
    routes=lambda settings: (
        *controllers.CONTROLLERS,
        *reward_controllers.CONTROLLERS,
        *insight_controllers.CONTROLLERS,
    ),
    listeners=listeners.LISTENERS,
    # One entry per person and city day: hourly is plenty.
    chores=(Chore("expired_points", expire_points, cron="17 * * * *"),),
    privacy=PrivacyPart(export=privacy.export_inclusion, erase=privacy.erase_inclusion),
    seed_demo=demo.seed,
    tags=(("inclusion", "Languages, points, rewards, statistics"),),
)
