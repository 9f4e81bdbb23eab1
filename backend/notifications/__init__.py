"""Notifications: the inbox, WeChat subscribe messages spent from each resident's budget, and
reminders; it listens to the other domains' signals and decides what reaches whom."""

from backend.core.domain import Domain, PrivacyPart, Schedule
from backend.notifications import controllers, jobs, listeners, privacy, reminders

DOMAIN = Domain(
    name="notifications",
    builds_on=("core", "accounts", "places", "events", "libraries", "volunteers", "inclusion", "governance"),
    piccolo_apps=("backend.notifications.piccolo_app",),
    routes=lambda settings: tuple(controllers.CONTROLLERS),
    listeners=listeners.LISTENERS,
    jobs=jobs.JOBS,
    schedules=(Schedule(jobs.REMINDERS, cron=reminders.CRON),),
    privacy=PrivacyPart(export=privacy.export_notifications, erase=privacy.erase_notifications),
    tags=(("notifications", "The inbox and WeChat subscribe-message budgets"),),
)
