"""What ``swx`` shows a person on screen: help for every command, ``swx schemas`` at 80
columns, ``swx samples`` each sample under its own version (or a reason to fail)."""

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.main import get_command
from typer.testing import CliRunner

from services.cli.main import app
from services.cli.samples import run_samples
from services.kernel import resources
from services.kernel.registry import REGISTRY
from services.kernel.validation import validate

COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]
TYPE_LABEL = re.compile(r"<[a-z][\w\[\], ]*>", re.IGNORECASE)
"""What Typer prints beside a parameter in place of a word: ``<bool>``, ``<list[Path]>``, ``<int range>``."""
runner = CliRunner()


def help_of(*args: str, columns: int = 80) -> str:
    result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": str(columns)}, prog_name="swx")
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_is_listed_in_the_main_help() -> None:
    screen = help_of()
    assert screen.startswith("Usage: swx [OPTIONS] COMMAND [ARGS]...")
    for command in ("validate", "convert", "schemas", "samples", "submit", "status", "up", "demo", "keys",
                    "hub-worker"):
        assert re.search(rf"^  {command}\s", screen, re.MULTILINE), f"{command} missing:\n{screen}"


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_shows_words_not_typer_internals(command: str | None) -> None:
    screen = help_of(*([command] if command else []))
    usage = screen.splitlines()[0]

    assert not TYPE_LABEL.search(screen), screen
    assert not re.search(r"\{\w+\}", usage), usage  # {files}...
    assert all(len(line) <= 80 for line in screen.splitlines()), screen
    assert not any(line != line.rstrip() for line in screen.splitlines()), "trailing spaces"


@pytest.mark.parametrize("command", COMMANDS)
def test_each_value_option_names_what_it_takes(command: str) -> None:
    """``--to FORM``, ``--data-dir DIR``: an option that takes a value says so in a word."""
    screen = help_of(command, columns=120)
    for line in screen.splitlines():
        found = re.match(r"^\s+(?:-\w, )?(--[\w-]+)(?: ([A-Z][A-Z_=.]*))?\s{2,}", line)
        if found and found.group(2):
            assert "_" not in found.group(2) or found.group(2) == "ROLE=FILE", line


def test_a_usage_error_shows_the_same_clean_usage_line() -> None:
    result = runner.invoke(app, ["validate"], env={"COLUMNS": "80"}, prog_name="swx")
    assert result.exit_code == 2
    assert "Usage: swx validate [OPTIONS] FILE..." in result.output
    assert "{" not in result.output.splitlines()[0]


def test_help_paragraphs_are_reflowed_not_broken_where_the_source_breaks() -> None:
    screen = help_of("convert", columns=100)
    assert "findings do not stop the conversion" in " ".join(screen.split())
    lines = [line.strip() for line in screen.splitlines()]
    assert "findings do not" not in lines  # a docstring line end is not a line end on screen


def test_schemas_fits_80_columns_with_every_path_and_namespace_whole() -> None:
    finished = subprocess.run([sys.executable, "-m", "services.cli.main", "schemas"], capture_output=True, text=True,
                              timeout=60, check=False, env={**os.environ, "COLUMNS": "80", "TERM": "dumb"})
    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    for message_type in REGISTRY:
        folder = "/".join(message_type.xsd_path.parent.parts[-3:])
        for whole in (message_type.namespace, f"{folder}/",
                      f"{message_type.xsd_path.name}, {message_type.json_schema_path.name}"):
            assert any(whole in line for line in lines), f"{whole} is broken across lines"
        assert f"{message_type.type_id} {message_type.version}" in lines


def samples_screen(fixtures: Path | None = None) -> tuple[int, str]:
    screen = io.StringIO()
    code = run_samples(Console(file=screen, width=200, color_system=None), fixtures)
    return code, screen.getvalue()


def test_samples_shows_each_refused_sample_under_its_own_version() -> None:
    code, screen = samples_screen()
    assert code == 0, screen
    fixtures = resources.fixtures_dir()
    version, shown = None, 0
    for line in screen.splitlines():
        if re.fullmatch(r"[a-z.-]+/\d+\.\d+", line.strip()):
            version = REGISTRY.get(line.strip())
        refused = re.match(r"\s+refused ([\w.-]+): ", line)
        if refused and version is not None:
            sample = fixtures / version.type_id / "invalid" / refused.group(1)
            assert validate(sample.read_bytes()).message_type == version, f"{sample.name} shown under {version.key}"
            shown += 1
    assert shown >= len({t.type_id for t in REGISTRY})
    assert "1 persons" not in screen
    assert "1 findings" not in screen


def test_samples_fails_with_a_reason_when_there_is_nothing_to_show(tmp_path: Path) -> None:
    code, screen = samples_screen(tmp_path / "nowhere")
    assert code == 2
    assert "no fixture folder" in screen
    assert "nothing to show" in screen

    code, screen = samples_screen(tmp_path)
    assert code == 1
    assert "nothing to show" in screen
