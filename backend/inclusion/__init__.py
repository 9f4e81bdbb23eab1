"""Inclusion: resident profiles and guardians, participation points and their rules, the points
supermarket, leaderboards, participation statistics and recommendations."""

from backend.core.domain import Chore, Domain, PrivacyPart
from backend.inclusion import demo, privacy
from backend.inclusion.insight import controllers as insight_controllers
from backend.inclusion.insight import monthly_controllers, place_controllers
from backend.inclusion.points import controllers as points_controllers
from backend.inclusion.points import listeners
from backend.inclusion.points.expiry import expire_points
from backend.inclusion.profiles import controllers as profiles_controllers
from backend.inclusion.rewards import controllers as rewards_controllers

DOMAIN = Domain(
    name="inclusion",
    builds_on=("core", "accounts", "places", "events", "libraries", "volunteers"),
    piccolo_apps=("backend.inclusion.piccolo_app",),
    routes=lambda settings: (
        *profiles_controllers.CONTROLLERS,
        *points_controllers.CONTROLLERS,
        *rewards_controllers.CONTROLLERS,
        *insight_controllers.CONTROLLERS,
        *monthly_controllers.CONTROLLERS,
        *place_controllers.CONTROLLERS,
    ),
    # The alliance page (places) shows its member estates' participation, which is counted here.
    app_hooks=(place_controllers.provide_estate_figures,),
    listeners=listeners.LISTENERS,
    # One entry per person and city day: hourly is plenty.
    chores=(Chore("expired_points", expire_points, cron="17 * * * *"),),
    privacy=PrivacyPart(export=privacy.export_inclusion, erase=privacy.erase_inclusion),
    seed_demo=demo.seed,
    tags=(("inclusion", "Languages, points, rewards, statistics"),),
)
