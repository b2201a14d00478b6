"""requirements.lock keeps up with pyproject.toml.

``make`` installs the pinned versions of requirements.lock, then the project without its
dependencies (``pip install --no-deps -e .``), so a dependency added to pyproject.toml without
``make lock`` would be missing on a fresh machine, or a raised lower bound not honoured. This
says so here, offline, instead of on someone else's machine.
"""

import tomllib
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

PROJECT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
LOCK = PROJECT / "requirements.lock"


def pinned() -> dict[str, Version]:
    """Each locked package's version for this interpreter (the lock is universal: a package may
    have one pin per Python version or platform, told apart by markers)."""
    environment = dict(default_environment())
    pins: dict[str, Version] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            (pin,) = requirement.specifier
            assert pin.operator == "==", f"not a pin in {LOCK.name}: {line}"
            pins[canonicalize_name(requirement.name)] = Version(pin.version)
    return pins


def declared() -> list[Requirement]:
    project = PYPROJECT["project"]
    return [Requirement(text) for text in [*project["dependencies"], *project["optional-dependencies"]["dev"]]]


def test_every_declared_dependency_is_pinned_at_a_version_it_allows() -> None:
    pins = pinned()
    stale = []
    for requirement in declared():
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        version = pins.get(canonicalize_name(requirement.name))
        if version is None or version not in requirement.specifier:
            stale.append(f"{requirement} (locked: {version or 'absent'})")
    assert not stale, f"run `make lock`: {LOCK.name} does not satisfy {stale}"


def test_the_lock_does_not_pin_the_project_itself() -> None:
    assert canonicalize_name(PYPROJECT["project"]["name"]) not in pinned(), \
        "the project is installed from the checkout (pip install --no-deps -e .), not from the index"
