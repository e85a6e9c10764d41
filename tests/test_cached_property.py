"""No module of Byline uses ``functools.cached_property``.

Before Python 3.12 it holds one lock per property for every instance of the class:
two threads computing the property on two different objects wait for each other.
``Results._latest`` (search) ran its query under it, so while one search waited for
PostgreSQL (slow, locked, or frozen) every other search of that worker queued
behind it (``tests/faults/test_database_first_seconds.py`` shows it with a real
server). ``django.utils.functional.cached_property`` has no lock.
"""

import ast
from pathlib import Path

import byline

ROOT = Path(byline.__file__).parent


def test_no_module_uses_functools_cached_property():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module == "functools":
                if any(alias.name == "cached_property" for alias in node.names):
                    found.append(str(path.relative_to(ROOT)))
            elif isinstance(node, ast.Attribute) and node.attr == "cached_property":
                if isinstance(node.value, ast.Name) and node.value.id == "functools":
                    found.append(str(path.relative_to(ROOT)))
    assert found == []
