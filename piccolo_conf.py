"""For the ``piccolo`` command run from the repository root; the configuration itself lives in
``backend/piccolo_conf.py`` so that the installed ``linli`` command finds it too."""

from backend.piccolo_conf import APP_REGISTRY, DB  # noqa: F401
