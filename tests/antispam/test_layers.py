"""The spam filter's modules import one way only: no module imports, directly or
through others, a module that imports it back (issue 18). Function-level imports count
too, as they do for import-linter."""

from __future__ import annotations

import ast
from pathlib import Path

import byline.antispam

PACKAGE = Path(byline.antispam.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = ("byline", "antispam", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    relative = Path(*name.split(".")[2:])
    return (PACKAGE / relative).with_suffix(".py").exists() or (PACKAGE / relative).is_dir()


def import_graph() -> dict[str, set[str]]:
    """Each antispam module and the antispam modules it imports (anywhere in it)."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "byline.antispam"
            ):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    found.add(sub if _is_module(sub) else str(node.module))
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("byline.antispam"))
        graph[name] = found - {name}
    return graph


def _cycle_through(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """A path of imports from ``start`` back to itself, if there is one."""
    stack = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for target in graph.get(node, ()):
            if target == start:
                return [*path, start]
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, target]))
    return None


def test_antispam_modules_import_one_way_only():
    """No import cycle inside byline.antispam (contract, actions, pipeline, evidence ...)."""
    graph = import_graph()
    assert "byline.antispam.classifier" in graph  # the graph is read at all
    cycles = [c for name in sorted(graph) if (c := _cycle_through(graph, name))]
    assert not cycles, " ; ".join(" -> ".join(cycle) for cycle in cycles)


def test_the_text_model_module_is_named_for_what_it_does():
    """``classifier.py`` holds the text classifier; ``models.py`` the database models."""
    assert (PACKAGE / "classifier.py").exists()
    assert not (PACKAGE / "model.py").exists()


def _antispam_files_run(call) -> set[str]:
    import sys

    seen: set[str] = set()

    def profile(frame, event, arg):
        if event == "call" and frame.f_code.co_filename.startswith(str(PACKAGE)):
            seen.add(Path(frame.f_code.co_filename).name)

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return seen


def test_a_check_runs_in_two_antispam_modules(local_filter):
    """Scoring one comment (issue 18: a comment's path stays short) runs the pipeline
    (the signals and the verdict) and the classifier (what the text says, and the text
    model): the model comes from the process's cache, and the check's few statements
    need no call into ``models``."""
    from byline import antispam
    from tests.antispam.factory import make_submission

    antispam.check(make_submission("The first check loads the model."))
    files = _antispam_files_run(
        lambda: antispam.check(
            make_submission("Call 0800 555 0199 now: https://cheap-loans.example.xyz/apply")
        )
    )
    assert files == {"pipeline.py", "classifier.py"}, files
