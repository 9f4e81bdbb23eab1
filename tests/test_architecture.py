"""The house (STYLE.md, docs/ARCHITECTURE.md), checked over every module of ``backend/``:

- the domains are the packages ``backend/domains.py`` lists, in that order; a domain imports only
  the domains it builds on, and of those only their public ``api`` module; core imports none;
- the wiring (``app``, ``domains``, ``cli``, ``worker``, ``piccolo_conf``, ``asgi``) reaches a
  domain only through its package (the manifest) or its ``api``;
- only controllers (and core's HTTP edge) import Litestar; controllers do not query tables;
- a foreign key points at the same domain or one it builds on;
- no two modules import each other, directly or round a circle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from piccolo.apps.migrations.commands.new import AutoMigrationManager
from piccolo.columns import ForeignKey

from backend.core.wiring import piccolo_app, piccolo_modules
from backend.domains import DOMAINS

BACKEND = Path(__file__).resolve().parents[1] / "backend"
NAMES = [domain.name for domain in DOMAINS]
BUILDS_ON = {domain.name: set(domain.builds_on) for domain in DOMAINS}
WIRING = {"app", "domains", "cli", "worker", "piccolo_conf", "asgi", "settings"}
# The HTTP edge outside controllers: core's middleware, guards, error handlers and operations
# endpoints, and the pages' templating.
HTTP_EDGE = {
    *(
        f"backend.core.{name}"
        for name in (
            "auth",
            "context",
            "errors",
            "input_checks",
            "media",
            "middleware",
            "openapi",
            "operations",
            "stores",
        )
    ),
    "backend.web.templating",
    # The console's guard, CSRF check, page drawing and refusals; its router.
    "backend.web.console",
    "backend.web.console.edge",
    # The public pages' drawing, caching and refusals; their router.
    "backend.web.public",
    "backend.web.public.edge",
}


def modules() -> Iterator[tuple[str, Path]]:
    """(dotted name, path) of every module of backend/, migrations left out."""
    for path in sorted(BACKEND.rglob("*.py")):
        if "piccolo_migrations" in path.parts:
            continue
        parts = list(path.relative_to(BACKEND.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


KNOWN = {name for name, _ in modules()}


def _runtime_nodes(path: Path) -> Iterator[ast.AST]:
    """The file's nodes, leaving out what only a type checker reads (``if TYPE_CHECKING:``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        for statement in node.body
        for inner in ast.walk(statement)
    }
    return (node for node in ast.walk(tree) if id(node) not in hidden)


def imports(path: Path) -> set[str]:
    """Every backend module a file imports (``from x import y`` is x.y when y is a module, else x)."""
    found = set()
    for node in _runtime_nodes(path):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in KNOWN else node.module)
    return {name for name in found if name in KNOWN and name.startswith("backend.")}


def domain_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in NAMES else None


def is_public(module: str) -> bool:
    """A domain's package itself (its manifest) or its api module."""
    parts = module.split(".")
    return len(parts) == 2 or (len(parts) == 3 and parts[2] == "api")


def test_every_domain_package_is_listed_and_every_listed_domain_builds_on_earlier_ones() -> None:
    packages = {path.name for path in BACKEND.iterdir() if (path / "__init__.py").exists()}
    assert packages == set(NAMES), "each package under backend/ is a domain listed in backend/domains.py"
    for position, domain in enumerate(DOMAINS):
        assert set(domain.builds_on) <= set(NAMES[:position]), f"{domain.name} builds on a domain listed after it"


def test_domains_import_only_upstream_public_apis() -> None:
    wrong = []
    for module, path in modules():
        mine = domain_of(module)
        for target in imports(path):
            theirs = domain_of(target)
            if theirs is None:
                if target.split(".")[1] in WIRING - {"settings"} and mine is not None:
                    wrong.append(f"{module} imports the wiring module {target}")
                continue
            if mine is None:  # wiring: only a domain's manifest or its api, and core
                if theirs != "core" and not is_public(target):
                    wrong.append(f"{module} reaches into {target}")
            elif theirs != mine:
                if mine == "core" or theirs not in BUILDS_ON[mine]:
                    wrong.append(f"{module} imports {target}, against the domain order")
                elif theirs == "core":
                    continue  # core is what every domain uses, module by module
                elif not is_public(target) or len(target.split(".")) == 2:
                    wrong.append(f"{module} imports {target}: another domain is used through its api")
    assert not wrong, "\n".join(sorted(wrong))


def test_only_controllers_speak_http() -> None:
    offenders = []
    for module, path in modules():
        last = module.split(".")[-1]
        if last.endswith("controllers") or module == "backend" or module.split(".")[1] in WIRING:
            continue
        if module in HTTP_EDGE:
            continue
        if any(name == "litestar" or name.startswith("litestar.") for name in _all_imports(path)):
            offenders.append(module)
    assert not offenders, "outside controllers, nothing imports Litestar:\n" + "\n".join(offenders)


def test_controllers_do_not_query_tables() -> None:
    """Queries live in services and queries modules; controllers parse, guard, call and shape."""
    offenders = []
    for module, path in modules():
        if not module.split(".")[-1].endswith("controllers"):
            continue
        text = path.read_text(encoding="utf-8")
        for verb in (".select(", ".objects(", ".insert(", ".update(", ".delete(", ".raw(", ".exists(", ".count("):
            if verb in text:
                offenders.append(f"{module} uses {verb}")
    assert not offenders, "\n".join(offenders)


def test_foreign_keys_point_upstream() -> None:
    wrong = []
    owner = {}
    for domain in DOMAINS:
        for module in domain.piccolo_apps:
            for table in piccolo_app(module).table_classes:
                owner[table] = domain.name
    for table, domain in owner.items():
        for column in table._meta.foreign_key_columns:
            assert isinstance(column, ForeignKey)
            target = owner.get(column._foreign_key_meta.resolved_references)
            if target is None or (target != domain and target not in BUILDS_ON[domain]):
                wrong.append(f"{table.__name__}.{column._meta.name} → {target}")
    assert not wrong, "\n".join(wrong)


def test_migrations_run_in_the_domain_order() -> None:
    """Each Piccolo app depends on the apps of the domains its own builds on (from the list)."""
    order = piccolo_modules(DOMAINS)
    for position, module in enumerate(order):
        for dependency in piccolo_app(module).migration_dependencies:
            assert dependency in order[:position], f"{module} depends on {dependency}, which runs later"


async def test_the_migrations_make_the_tables_as_they_are_declared(capsys: pytest.CaptureFixture[str]) -> None:
    """Piccolo's own comparison of each app's migrations with its tables finds nothing to do: no
    table changed without its migration (and a foreign key to another domain's table is a
    LazyTableReference, which auto-migrations can write, not a dotted string, which they cannot)."""
    pending = {}
    for module in piccolo_modules(DOMAINS):
        statements = await AutoMigrationManager(auto_input="y").get_alter_statements(app_config=piccolo_app(module))
        count = sum(len(group.statements) for group in statements)
        if count:
            pending[module] = count
    capsys.readouterr()  # Piccolo prints its summary
    assert not pending, f"tables changed without a migration: {pending}"


def test_no_module_imports_round_a_circle() -> None:
    graph = {module: imports(path) for module, path in modules()}
    # A package importing its own submodules is how a manifest is made, not a circle.
    edges = {m: {t for t in targets if not t.startswith(m + ".")} for m, targets in graph.items()}
    circles = _cycles(edges)
    assert not circles, "\n".join(" → ".join(cycle) for cycle in circles)


def _all_imports(path: Path) -> set[str]:
    found = set()
    for node in _runtime_nodes(path):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found
