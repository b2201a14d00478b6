"""swx as a user gets it: the wheel, installed into a fresh environment, run from elsewhere.

The wheel is built from a copy of exactly what it ships (``pyproject.toml``'s packages and
the folders it maps into them, the README), so the checkout gets no ``build/`` and nothing
beside the copy can leak in. It is installed without its dependencies into a new venv whose
dependencies come from this environment's ``site-packages`` through a ``.pth`` file: no
index, no network, and no editable finder (a ``.pth`` inside a path named by a ``.pth`` is
not run). Then swx runs there, from a temporary folder outside the repository, as
``pip install .`` users run it: ``swx samples``, ``swx validate`` of a sample found inside
the installed package, ``swx schemas`` and ``swx demo`` (the whole network on loopback).
"""

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement

PROJECT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
LICENCE_FILES = ("LICEN[CS]E*", "COPYING*", "NOTICE*", "AUTHORS*")
"""setuptools' default ``license-files``: copied when present, so the build finds them."""
BUILD_SECONDS = 300
DEMO_SECONDS = 600

pytestmark = [pytest.mark.slow, pytest.mark.timeout(BUILD_SECONDS + DEMO_SECONDS)]


def shipped_folders() -> dict[str, Path]:
    """Each package prefix in the wheel and the checkout folder it comes from."""
    mapped = PYPROJECT["tool"]["setuptools"].get("package-dir", {})
    return {"services": PROJECT / "services",
            **{package.replace(".", "/"): PROJECT / folder for package, folder in mapped.items()}}


def checkout_files() -> set[str]:
    """Every file of the shipped folders, named as it must be in the wheel (caches aside)."""
    names = set()
    for prefix, folder in shipped_folders().items():
        for path in folder.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc" \
                    and not path.name.startswith("."):
                names.add(f"{prefix}/{path.relative_to(folder).as_posix()}")
    return names


def build_requirements_missing() -> str | None:
    """Why this environment cannot build the wheel offline, or None when it can."""
    for line in PYPROJECT["build-system"]["requires"]:
        requirement = Requirement(line)
        try:
            version = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            version = None
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            return (f"building the wheel offline needs {line} in this environment (found "
                    f"{version or 'none'}): it is a dev dependency, `make` installs it")
    return None


def dependency_folders() -> list[str]:
    """The site-packages folders this environment imports its packages from: its own, and the
    base's when it sees the system's (the checkout itself is no such folder)."""
    return [entry for entry in sys.path
            if Path(entry).name in ("site-packages", "dist-packages") and Path(entry).is_dir()]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    missing = build_requirements_missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    source = tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("pyproject.toml", PYPROJECT["project"]["readme"]):
        shutil.copy2(PROJECT / name, source / name)
    for pattern in LICENCE_FILES:
        for found in PROJECT.glob(pattern):
            shutil.copy2(found, source / found.name)
    for folder in shipped_folders().values():
        shutil.copytree(folder, source / folder.relative_to(PROJECT), ignore=ignore)
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "--wheel-dir", str(out), str(source)],
        capture_output=True, text=True, timeout=BUILD_SECONDS, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    for banner in ("deprecated", "Warning"):
        assert banner not in built.stderr, built.stderr
    (found,) = out.glob("swx-*.whl")
    return found


@dataclass(frozen=True)
class Installed:
    """A fresh environment holding the wheel, and a folder outside the repository to run in."""

    root: Path
    workdir: Path

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {name: value for name, value in os.environ.items()
               if not name.startswith(("PYTHON", "SWX_")) and name not in ("DATABASE_URL", "VIRTUAL_ENV")}
        env.update(PATH=f"{self.bin}{os.pathsep}/usr/bin{os.pathsep}/bin", PYTHONNOUSERSITE="1",
                   COLUMNS="80", TERM="dumb", NO_COLOR="1")
        return subprocess.run(list(args), cwd=self.workdir, env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)

    def python(self, code: str) -> str:
        done = self.run(str(self.bin / "python"), "-c", code)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip()


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False, symlinks=True, clear=True).create(root)
    target = Path(subprocess.run(
        [str(root / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip())
    # the dependencies, from this environment, after the venv's own site-packages
    (target / "swx-test-dependencies.pth").write_text("\n".join(dependency_folders()) + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(root / "bin" / "python"), "install", "--no-deps",
         "--no-index", "--disable-pip-version-check", str(wheel)],
        capture_output=True, text=True, timeout=BUILD_SECONDS, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return Installed(root=root, workdir=tmp_path_factory.mktemp("elsewhere"))


def test_the_wheel_holds_every_file_the_checkout_ships_and_nothing_else(wheel: Path) -> None:
    """Code, migrations, dashboard pages, schemas and samples: a file left out of the
    package list or the package data of ``pyproject.toml`` is named here."""
    with zipfile.ZipFile(wheel) as archive:
        inside = {name for name in archive.namelist() if ".dist-info/" not in name}
    expected = checkout_files()
    assert not sorted(expected - inside), "left out of the wheel"
    assert not sorted(inside - expected), "in the wheel, not in the checkout"


def test_the_installed_code_is_the_wheels_not_the_checkout(installed: Installed) -> None:
    where = installed.python("import services, services.kernel.resources as r; "
                             "print(services.__file__); print(r.schemas_dir()); print(r.fixtures_dir())")
    for line in where.splitlines():
        assert Path(line).is_relative_to(installed.root), where
        assert not Path(line).is_relative_to(PROJECT), where


def test_swx_samples_shows_the_shipped_samples_from_any_folder(installed: Installed) -> None:
    done = installed.run("swx", "samples")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "customs.declaration/2.0" in done.stdout
    assert "PAXLST" in done.stdout
    assert "every expectation held" in done.stdout


def test_swx_validate_accepts_a_sample_found_inside_the_installed_package(installed: Installed) -> None:
    sample = Path(installed.python(
        "from services.kernel import resources; "
        "print(resources.fixtures_dir() / 'customs.declaration' / 'valid' / "
        "'th-export-natural-rubber-laem-chabang-to-saigon.xml')"))
    assert sample.is_file()
    assert sample.is_relative_to(installed.root)
    done = installed.run("swx", "validate", str(sample))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "valid" in done.stdout


def test_swx_schemas_lists_the_shipped_schema_files(installed: Installed) -> None:
    done = installed.run("swx", "schemas")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "schemas/customs/declaration/2.0/" in done.stdout
    assert "declaration.xsd" in done.stdout


@pytest.mark.network
def test_swx_demo_runs_the_whole_network_from_the_wheel(installed: Installed) -> None:
    """Every component started from the installed package: migrations, the NSW watchlist,
    the schemas and the dashboard all found inside it."""
    done = installed.run("swx", "demo", timeout=DEMO_SECONDS)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "all 4 flows held" in done.stdout
    assert not list(installed.workdir.iterdir()), "the demo left files in the folder it ran from"
