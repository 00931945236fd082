"""The layers hold: no import cycle in podcast/, and each outside library stays in its module.

Imports are read with ast, so the rule covers code that is never run by a test. Both
module-level and function-level imports count: an import tucked into a function to dodge a
cycle is still a cycle. Imports under `if TYPE_CHECKING:` do not count (they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "podcast"

# Each of these libraries may be imported by the listed modules only (design.md section 2).
CONFINED = {
    "boto3": {"podcast.storage.s3"},
    "botocore": {"podcast.storage.s3"},
    "mutagen": {"podcast.audio.inspect", "podcast.audio.tags"},
    "av": {"podcast.audio.codec"},
    "podcastparser": {"podcast.imports.parse"},
    "lxml": {"podcast.imports.parse", "podcast.feed.build"},
    "markdownify": {"podcast.imports.markup"},
    "pygal": {"podcast.analytics.charts"},
    "iptocc": {"podcast.analytics.geo"},
    "feedgen": {"podcast.feed.build", "podcast.feed.podcast_ns"},
    "huey": {"podcast.jobs.queue"},
    "babel": {"podcast.i18n"},
    "flask_babel": {"podcast.i18n"},
}
# What the feed renderer and the services must never reach for.
FORBIDDEN = {
    "podcast.feed": ("flask", "werkzeug", "podcast.views", "podcast.current"),
    "podcast.services": ("flask", "werkzeug", "podcast.views", "podcast.current"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str) -> set[str]:
    """Every module this one imports, at module level or inside functions."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                # `from podcast.services import queries` imports the submodule queries.
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in MODULES else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


GRAPH = {module: {i for i in _imports(module) if i in MODULES} for module in MODULES}


def _cycles() -> list[list[str]]:
    """Each strongly connected group of more than one module (Tarjan), as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in GRAPH[node]:
                groups.append(sorted(group))

    for node in sorted(GRAPH):
        if node not in index:
            connect(node)
    return groups


def test_the_reader_sees_real_imports() -> None:
    # Guards the rule itself: if the parser missed imports, every other test here would pass.
    assert "podcast.services.queries" in GRAPH["podcast.current"]
    assert "boto3" in _imports("podcast.storage.s3")
    assert "podcast.services.shows" in GRAPH["podcast.services.guests"]


def test_no_module_imports_another_in_a_cycle() -> None:
    assert _cycles() == []


def test_each_library_is_imported_by_its_own_module_only() -> None:
    misplaced = sorted(
        f"{module} imports {name}"
        for module in MODULES
        for name in _imports(module)
        for library, allowed in CONFINED.items()
        if (name == library or name.startswith(library + ".")) and module not in allowed
    )
    assert misplaced == []


def test_the_feed_and_the_services_know_nothing_of_the_web() -> None:
    leaks = sorted(
        f"{module} imports {name}"
        for module in MODULES
        for layer, forbidden in FORBIDDEN.items()
        if module == layer or module.startswith(layer + ".")
        for name in _imports(module)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )
    assert leaks == []


def test_views_run_no_queries_of_their_own() -> None:
    # Every read a page or the API needs lives in services/queries.py.
    selecting = sorted(
        module
        for module in MODULES
        if module.startswith("podcast.views.")
        and any(
            isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("sqlalchemy")
            and any(alias.name == "select" for alias in node.names)
            for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8")))
        )
    )
    assert selecting == []
