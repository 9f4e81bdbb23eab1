"""Core: what every domain uses (auth, i18n, errors, the clock, media, images, cache, jobs,
signals, the WeChat client). Its manifest adds the signal outbox and the failed-jobs table,
the operations endpoints and the media files."""

from backend.core import audit, signals
from backend.core.domain import Chore, Domain
from backend.core.media import MediaController
from backend.core.openapi import assets_router
from backend.core.operations import MetricsController, OperationsController

DOMAIN = Domain(
    name="core",
    piccolo_apps=("backend.core.piccolo_app",),
    routes=lambda settings: (
        OperationsController,
        MetricsController,
        MediaController,
        *((assets_router(),) if settings.api_docs_enabled else ()),
    ),
    chores=(
        Chore("audit_retention", audit.purge_expired, cron="23 3 * * *"),
        Chore("outbox_retention", signals.purge_delivered, cron="41 3 * * *"),
    ),
    tags=(
        ("operations", "Health, readiness, metrics"),
        ("media", "Stored images (posters, pictures) in the sizes the app draws"),
    ),
)
