"""Every migration of the project imports: a helper a data migration takes from the app's
code (``articles/recleaning.py``, ``rendering``) renamed or gone breaks the upgrade of
every site that has not run it yet, and only importing the module shows it (a test
database is migrated from the squashed state of the day, and a test calls few of them)."""

import importlib
import pkgutil

import pytest
from django.apps import apps


def migration_modules() -> list[str]:
    names = []
    for config in apps.get_app_configs():
        if not config.name.startswith("byline."):
            continue
        try:
            package = importlib.import_module(f"{config.name}.migrations")
        except ModuleNotFoundError:
            continue
        names += [
            f"{package.__name__}.{info.name}" for info in pkgutil.iter_modules(package.__path__)
        ]
    return sorted(names)


def test_the_project_has_migrations_to_check():
    assert "byline.articles.migrations.0017_clean_page_titles" in migration_modules()


@pytest.mark.parametrize("name", migration_modules())
def test_each_migration_module_imports_and_holds_a_migration(name):
    module = importlib.import_module(name)
    assert module.Migration.operations is not None
