"""The shape of the code: no import cycles between our modules, and no app imports
the project package (kbsite) it is installed in.

Every import counts, also those inside functions: a cycle hidden in a function is
still two modules that cannot be understood, tested or moved one without the other.
Migrations are left out (Django writes them).
"""

import ast
from pathlib import Path

import pytest

# Reads source files only: the PostgreSQL run of make test leaves it out.
pytestmark = pytest.mark.database_independent

ROOT = Path(__file__).resolve().parents[1]
APPS = ("manuals", "faq", "feedback")
PACKAGES = (*APPS, "kbsite")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            found[_module_name(path)] = path
    return found


def _resolve(name: str, modules) -> str | None:
    """The module of ours `name` refers to (a name inside a module: that module)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str, path: Path, modules) -> set[str]:
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # `from . import x` imports the module x when there is one.
            names = [f"{prefix}.{alias.name}" for alias in node.names] + [prefix]
        else:
            continue
        for name in names:
            target = _resolve(name, modules)
            if target and target != module:
                found.add(target)
    # A package's __init__ is imported with any of its modules: that is no edge.
    return {t for t in found if not module.startswith(t + ".")}


def _graph():
    modules = _modules()
    return {m: _imports(m, p, modules) for m, p in modules.items()}


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, result = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return result


def test_no_import_cycles_between_our_modules():
    cycles = _cycles(_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_no_app_imports_the_project_package():
    graph = _graph()
    offenders = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if module.split(".")[0] in APPS
        for target in targets
        if target.split(".")[0] == "kbsite"
    )
    assert not offenders, "\n".join(offenders)


def test_the_checker_sees_a_cycle():
    """The cycle finder is not vacuous: a planted cycle is found."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]
    ]
    assert "manuals.models" in _graph()["manuals.permissions"]


# --- one audience rule -------------------------------------------------------------

VISIBILITY_WORDS = {"public", "internal", "restricted"}
# Where visibility may be compared: the rule itself, and the models' definitions.
RULE_HOMES = {"manuals.audience", "manuals.permissions"}


def _visibility_comparisons(path: Path) -> list[str]:
    """Comparisons of a visibility with a value, filters on a visibility value and
    uses of the rank table: what only the audience rule may do."""
    tree = ast.parse(path.read_text(encoding="utf-8"))

    def is_visibility_value(node) -> bool:
        if isinstance(node, ast.Constant) and node.value in VISIBILITY_WORDS:
            return True
        return (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id.endswith("Visibility")
            and node.attr.lower() in VISIBILITY_WORDS  # a member, not `.values`
        )

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(is_visibility_value(s) for s in sides):
                found.append(f"{path.name}:{node.lineno} compares a visibility")
        elif isinstance(node, ast.keyword) and node.arg and "visibility" in node.arg:
            value = node.value
            if is_visibility_value(value) and not node.arg.endswith("initial"):
                found.append(f"{path.name}:{value.lineno} filters on a visibility")
        elif isinstance(node, ast.Name) and node.id == "VISIBILITY_RANK":
            found.append(f"{path.name}:{node.lineno} ranks visibilities")
    return found


def test_visibility_is_compared_only_by_the_audience_rule():
    """No module outside manuals.audience / manuals.permissions (and model
    definitions) compares visibility values: they ask Audience."""
    offenders = []
    for module, path in _modules().items():
        if module.split(".")[0] not in APPS or module in RULE_HOMES:
            continue
        if path.name == "models.py" or "demo" in path.parts:
            continue
        offenders += [f"{module}: {o}" for o in _visibility_comparisons(path)]
    assert not offenders, "\n".join(offenders)


def test_the_visibility_checker_sees_a_comparison(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text(
        'if s.visibility == "internal":\n    pass\n'
        "qs.filter(visibility=Visibility.PUBLIC)\n"
    )
    assert len(_visibility_comparisons(planted)) == 2
