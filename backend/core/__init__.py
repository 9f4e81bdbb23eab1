"""Core: what every domain uses (auth, i18n, errors, the clock, media, images, cache, jobs,
signals, the WeChat client). Its manifest adds the signal outbox and the failed-jobs table,
the operations endpoints and the media files."""

from backend.core.domain import Domain
from backend.core.media import MediaController
from backend.core.operations import MetricsController, OperationsController

DOMAIN = Domain(
    name="core",
    piccolo_apps=("backend.core.piccolo_app",),
    routes=lambda settings: (OperationsController, MetricsController, MediaController),
    tags=(("operations", "Health, readiness, metrics"),),
)
