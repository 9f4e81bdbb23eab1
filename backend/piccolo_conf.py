"""Piccolo's configuration, read by ``piccolo`` commands and by ``linli migrate``.

The one documented place where settings are read at import time (STYLE.md): Piccolo's migration
machinery finds its engine here. The apps, and the order their migrations run in, come from the
domain list (``backend/domains.py``). The app itself builds its engine from the settings it is given.
"""

from piccolo.conf.apps import AppRegistry

from backend.core.db import make_engine
from backend.core.wiring import piccolo_modules
from backend.domains import DOMAINS
from backend.settings import Settings

DB = make_engine(Settings.from_env())

APP_REGISTRY = AppRegistry(apps=piccolo_modules(DOMAINS))
