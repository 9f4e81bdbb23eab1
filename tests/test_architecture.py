"""Dependencies point one way (STYLE.md): core ← accounts ← events ← libraries, volunteers ←
inclusion, notifications. A module that imports against the arrow fails here."""

from __future__ import annotations

import ast
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[1] / "backend"
ORDER = ["core", "accounts", "events", "libraries", "volunteers", "inclusion", "notifications"]
# Which domains each one may import (besides itself).
ALLOWED = {
    "core": set(),
    "accounts": {"core"},
    "events": {"core", "accounts"},
    "libraries": {"core", "accounts", "events"},
    "volunteers": {"core", "accounts", "events"},
    "inclusion": {"core", "accounts", "events", "libraries", "volunteers"},
    "notifications": {"core", "accounts", "events", "libraries", "volunteers", "inclusion"},
}


def imported_domains(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if len(parts) > 1 and parts[0] == "backend" and parts[1] in ALLOWED:
                found.add(parts[1])
    return found


def test_domains_import_only_upstream() -> None:
    wrong = []
    for domain, allowed in ALLOWED.items():
        folder = BACKEND / domain
        if not folder.exists():
            continue
        for path in folder.rglob("*.py"):
            if "piccolo_migrations" in path.parts:
                continue
            for target in imported_domains(path) - allowed - {domain}:
                wrong.append(f"{path.relative_to(BACKEND.parent)} imports backend.{target}")
    assert not wrong, "\n".join(wrong)


def test_controllers_do_not_query_tables() -> None:
    """Queries live in services and queries modules; controllers parse, guard, call and shape."""
    offenders = []
    for path in BACKEND.rglob("controllers.py"):
        text = path.read_text(encoding="utf-8")
        for verb in (".select(", ".objects(", ".insert(", ".update(", ".delete(", ".raw("):
            if verb in text:
                offenders.append(f"{path.relative_to(BACKEND.parent)} uses {verb}")
    assert not offenders, "\n".join(offenders)


def test_services_know_nothing_of_http() -> None:
    offenders = [
        str(path.relative_to(BACKEND.parent))
        for path in BACKEND.rglob("services.py")
        if "litestar" in path.read_text(encoding="utf-8")
    ]
    assert not offenders
