"""Where the files swx ships are found: schemas, sample fixtures, migrations, dashboard pages.

Every lookup of a shipped file goes through this module, and this module asks
``importlib.resources``, never the location of the source tree: the same code then finds
its files in a checkout (an editable install), in ``site-packages`` after ``pip install``
of the wheel, and in the image. The repository's top-level ``schemas/`` and ``fixtures/``
folders are shipped as the data packages ``services.schemas`` and ``services.fixtures``
(``pyproject.toml`` maps them there); migrations, templates, static files and reference
data live inside the package that reads them. ``tests/deploy/test_wheel.py`` installs the
wheel into a fresh environment and runs swx from elsewhere, so a lookup that reaches past
the package fails there.

The answers are real folders on disk, not just ``Traversable`` objects: lxml, Alembic and the
static file responses open files by path, so a zipped install is refused by name.
"""

from importlib.resources import files
from pathlib import Path


class NotInstalledAsFiles(RuntimeError):
    """A package swx reads files from is not unpacked on disk (imported from a zip, say)."""


def package_dir(package: str) -> Path:
    """The folder on disk of an importable package (``services.hub``, ``services.schemas`` ...)."""
    found = files(package)
    if not isinstance(found, Path) or not found.is_dir():
        raise NotInstalledAsFiles(f"{package} is not installed as files on disk ({found!r}): "
                                  "install swx from its wheel or its source folder")
    return found


def schemas_dir() -> Path:
    """The published XSD and JSON Schema files: ``<domain>/<name>/<version>/``."""
    return package_dir("services.schemas")


def fixtures_dir() -> Path:
    """The samples swx ships: ``<type>/{valid,invalid}/`` and ``watchlist/``."""
    return package_dir("services.fixtures")


def watchlist_file() -> Path:
    """The sample watchlist an NSW endpoint screens passengers against unless told otherwise."""
    return fixtures_dir() / "watchlist" / "watchlist.json"


def reference_data_file(name: str) -> Path:
    """A reference data file the kernel ships in ``services/kernel/data/`` (the UN/LOCODE extract)."""
    return package_dir("services.kernel") / "data" / name


def migrations_dir(package: str) -> Path:
    """A service's Alembic script folder (``migrations/`` beside its code, ``versions/`` inside)."""
    return package_dir(package) / "migrations"


def templates_dir(package: str) -> Path:
    """A package's Jinja templates (the hub's dashboard pages)."""
    return package_dir(package) / "templates"


def static_dir(package: str) -> Path:
    """A package's static files (the hub's dashboard script and style sheet)."""
    return package_dir(package) / "static"
