"""Piccolo's configuration, read by ``piccolo`` commands and by ``linli migrate``.

The one documented place where settings are read at import time (STYLE.md): Piccolo's migration
machinery finds its engine here. The app itself builds its engine from the settings it is given.
"""

from piccolo.conf.apps import AppRegistry

from backend.core.db import make_engine
from backend.settings import Settings

DB = make_engine(Settings.from_env())

APP_REGISTRY = AppRegistry(
    apps=[
        "backend.core.piccolo_app",
        "backend.accounts.piccolo_app",
        "backend.events.piccolo_app",
        "backend.libraries.piccolo_app",
        "backend.volunteers.piccolo_app",
        "backend.inclusion.piccolo_app",
        "backend.notifications.piccolo_app",
    ]
)
