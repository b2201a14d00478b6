"""Every shell example in README.md and docs/*.md runs, as written, against one ``swx up`` network.

The test does what a reader does. It starts ``swx up --data-dir var`` (on free ports) in a
fresh folder, gives each page a working folder of its own that holds ``fixtures/`` (the
repository's) and ``var/`` (the running network's data folder), and runs the page's
`````sh`` blocks in order there, each in a fresh ``bash -euo pipefail``, with the variables
the examples use (``HUB``, ``CUSTOMS``, ``TH_TOKEN`` ...) set to the network's values. The
snippet at the top of every page, which sets those variables from ``var/``, is run too, and
must give exactly those values.

A block passes when it exits 0 and every HTTP answer ``curl`` got in it was below 400,
except the statuses the block names in ``# expect: NNN`` comments, each of which must come.
(The test finds the statuses by giving ``curl`` a ``--write-out`` of its own; examples leave
``-w`` to it.) An example that shows a refused command says so in shell
(``swx validate BAD || test $? -eq 1``).

`````console`` blocks are shown, not run: they may only hold what the test cannot run here
(``CONSOLE_ONLY``: a network of its own, make, docker, PostgreSQL), which is checked.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
PAGES = [PROJECT / "README.md", *sorted((PROJECT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\S*)\s*$")
SETUP_MARK = "# the variables the examples use"
"""The first line of the snippet that sets them, at the top of every page."""
EXPECT = re.compile(r"#\s*expect:\s*(\d{3})")
STATUS_LINE = re.compile(r"^swx-docs-test curl status (\d{3})$", re.MULTILINE)
CURL_PRELUDE = "curl() { command curl --write-out '%{stderr}swx-docs-test curl status %{http_code}\\n' \"$@\"; }\n"
CONSOLE_ONLY = (". .venv/bin/activate", "make ", "swx up", "swx hub-worker", "docker compose ", "pg_dump ",
                "pg_restore ", "psql ", "python -m services.kernel.web.server ", "python benchmarks/")
"""What a ```console block may run: long-lived processes, another network, or tools a test machine lacks."""
PLACEHOLDER = re.compile(r"<[a-z][a-z_ -]*>")
EXAMPLE_VARIABLES = ("HUB", "CUSTOMS", "IMMIGRATION", "PORT", "NSW_TH", "NSW_VN", "JP_TOKEN", "KH_TOKEN",
                     "TH_TOKEN", "VN_TOKEN", "OPERATOR_TOKEN")
"""What the snippet at the top of a page sets, and the test gives every other example."""
BLOCK_TIMEOUT = 60.0
VENV_BIN = Path(sys.executable).parent

RAN: Counter[str] = Counter()
"""Examples run, by page: the summary line of the run (``tests/docs/conftest.py``) shows them."""


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    """The line of the opening fence, from 1."""
    language: str
    text: str

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(PROJECT)}:{self.line}"

    @property
    def is_setup(self) -> bool:
        return self.text.startswith(SETUP_MARK)


def blocks_of(page: Path) -> list[Block]:
    """The fenced code blocks of a Markdown page, in order."""
    found: list[Block] = []
    opened: tuple[int, str] | None = None
    lines: list[str] = []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        fence = FENCE.match(line)
        if opened is None and fence:
            opened, lines = (number, fence.group(1)), []
        elif opened is not None and line.strip() == "```":
            found.append(Block(page, opened[0], opened[1], "\n".join(lines) + "\n"))
            opened = None
        elif opened is not None:
            lines.append(line)
    assert opened is None, f"{page.name}: the block opened on line {opened[0]} is never closed"
    return found


ALL_BLOCKS = [block for page in PAGES for block in blocks_of(page)]
SHELL = [block for block in ALL_BLOCKS if block.language == "sh"]
CONSOLE = [block for block in ALL_BLOCKS if block.language == "console"]


@dataclass(frozen=True)
class Network:
    home: Path
    """Where ``swx up`` runs: ``var/`` in it is the network's data folder."""
    variables: dict[str, str]
    """What the examples read, with the network's values."""


def expected_variables(data_dir: Path, base_port: int) -> dict[str, str]:
    """The examples' variables, from the ports ``swx up`` was given and the tokens it wrote."""
    from services.kernel.network import load_network

    network = load_network(data_dir / "network" / "network.json")
    url = "http://127.0.0.1:{}".format
    variables = {"HUB": url(base_port), "CUSTOMS": url(base_port + 1), "IMMIGRATION": url(base_port + 2),
                 "PORT": url(base_port + 3), "NSW_TH": url(base_port + 15), "NSW_VN": url(base_port + 16)}
    variables |= {f"{who}_TOKEN": network.token_of(who) for who in ("JP", "KH", "TH", "VN")}
    variables["OPERATOR_TOKEN"] = network.operator_token
    assert set(variables) == set(EXAMPLE_VARIABLES)
    return variables


def _follow_output(process: subprocess.Popen[str]) -> tuple[threading.Thread, threading.Event, list[str]]:
    """Read what ``swx up`` prints, as it comes: the reader, set once the ready line came (or
    the output ended), and the lines."""
    seen: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            seen.append(line.rstrip())
            if line.startswith("ready"):
                ready.set()
        ready.set()  # it stopped: no ready line will come

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader, ready, seen


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    """One network for every example, started as the README says: ``swx up`` in a folder."""
    from services.cli.launcher import free_base_port

    swx = shutil.which("swx", path=str(VENV_BIN))
    assert swx is not None, f"no swx command beside {sys.executable}"
    home = tmp_path_factory.mktemp("docs")
    base_port = free_base_port()
    environment = {**_clean_environment(home), "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    process = subprocess.Popen([swx, "up", "--data-dir", "var", "--base-port", str(base_port)], cwd=home,
                               env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    reader, ready, seen = _follow_output(process)
    try:
        ready.wait(90)
        assert any(line.startswith("ready") for line in seen), "swx up did not get ready:\n" + "\n".join(seen)
        yield Network(home, expected_variables(home / "var", base_port))
    finally:
        process.send_signal(signal.SIGINT)  # as Ctrl-C: swx up stops every component it started
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        reader.join(timeout=10)
        assert process.stdout is not None
        process.stdout.close()


def _clean_environment(home: Path) -> dict[str, str]:
    """A shell as a reader's: no setting of the developer's (``SWX_*``, ``DATABASE_URL``), no
    ``~/.curlrc``, output in plain UTF-8."""
    kept = {name: os.environ[name] for name in ("PATH", "TMPDIR") if name in os.environ}
    return {**kept, "HOME": str(home), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TERM": "dumb", "NO_COLOR": "1"}


def page_folder(network: Network, page: Path) -> Path:
    """The page's working folder: ``fixtures/`` and ``var/`` in it, as in a checkout after ``swx up``."""
    folder = network.home / "pages" / page.stem
    if not folder.exists():
        folder.mkdir(parents=True)
        (folder / "fixtures").symlink_to(PROJECT / "fixtures", target_is_directory=True)
        (folder / "var").symlink_to(network.home / "var", target_is_directory=True)
    return folder


def run_block(block: Block, *, folder: Path, variables: dict[str, str], home: Path) -> subprocess.CompletedProcess[str]:
    script = CURL_PRELUDE + block.text
    if block.is_setup:  # then show what it set, for the comparison
        script += "python3 -c 'import json, os; print(json.dumps(dict(os.environ)))'\n"
    environment = {**_clean_environment(home), "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    if not block.is_setup:
        environment |= variables
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=folder, env=environment,
                          capture_output=True, text=True, timeout=BLOCK_TIMEOUT, check=False)


def _report(block: Block, result: subprocess.CompletedProcess[str], why: str) -> str:
    stderr = STATUS_LINE.sub(lambda m: f"[curl got {m.group(1)}]", result.stderr)
    return f"{block.name}: {why}\n--- example ---\n{block.text}--- stdout ---\n{result.stdout[-4000:]}" \
           f"\n--- stderr ---\n{stderr[-4000:]}"


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("block", SHELL, ids=[block.name for block in SHELL])
def test_the_example_runs_as_written(block: Block, network: Network) -> None:
    folder = page_folder(network, block.page)
    result = run_block(block, folder=folder, variables=network.variables, home=network.home)
    RAN[str(block.page.relative_to(PROJECT))] += 1

    assert result.returncode == 0, _report(block, result, f"exit {result.returncode}")
    statuses = STATUS_LINE.findall(result.stderr)
    expected = set(EXPECT.findall(block.text))
    unexpected = [s for s in statuses if (s == "000" or int(s) >= 400) and s not in expected]
    assert not unexpected, _report(block, result, f"curl got {', '.join(unexpected)}, which no '# expect:' names")
    missing = expected - set(statuses)
    assert not missing, _report(block, result, f"'# expect: {', '.join(sorted(missing))}' never came")
    if block.is_setup:
        shown = json.loads(result.stdout.strip().splitlines()[-1])
        assert {name: shown.get(name) for name in network.variables} == network.variables, \
            _report(block, result, "the snippet does not set the variables the examples use as the network has them")


def test_every_page_begins_its_examples_by_setting_their_variables_the_same_way() -> None:
    setups = [block for block in SHELL if block.is_setup]
    uses = re.compile(r"\$\{?(" + "|".join(EXAMPLE_VARIABLES) + r")\b")
    for page in PAGES:
        shell = [block for block in SHELL if block.page == page]
        if any(uses.search(block.text) for block in shell if not block.is_setup):
            assert shell[0].is_setup, f"{page.name}: the first example must be the snippet that sets the variables"
    assert setups, "no page sets the examples' variables"
    assert len({block.text for block in setups}) == 1, "the pages set the examples' variables in different ways: " \
                                                      + ", ".join(block.name for block in setups)


def test_no_example_leaves_a_value_for_the_reader_to_fill_in() -> None:
    for block in SHELL:
        assert not PLACEHOLDER.search(block.text), f"{block.name}: a placeholder: {PLACEHOLDER.search(block.text)}"
        assert not re.search(r"(^|\s)(-w|--write-out)\b", block.text), f"{block.name}: the test owns curl's -w"
        # under pipefail, head closing the pipe early fails its writer (SIGPIPE): sed -n 1,Np reads it all
        assert not re.search(r"\|\s*head\b", block.text), f"{block.name}: '| head' can fail under pipefail"


def test_console_blocks_hold_only_what_cannot_run_in_a_test() -> None:
    assert CONSOLE, "no console block: remove this test or the CONSOLE_ONLY list"
    for block in CONSOLE:
        commands = console_commands(block)
        assert commands, f"{block.name}: a console block shows commands as '$ command'"
        for command in commands:
            assert command.startswith(CONSOLE_ONLY), \
                f"{block.name}: '{command}' can run in the test: put it in a ```sh block"


def console_commands(block: Block) -> list[str]:
    """The commands of a console block: its '$ ' lines with their continuations, without the
    variables set in front of them (``SWX_NSW_COUNTRY=VN python -m ...``)."""
    commands: list[str] = []
    continued = False
    for line in block.text.splitlines():
        if continued:
            commands[-1] += " " + line.strip()
        elif line.startswith("$ "):
            commands.append(line[2:])
        continued = bool(commands) and commands[-1].endswith("\\")
        if continued:
            commands[-1] = commands[-1][:-1].rstrip()
    return [re.sub(r"^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+", "", command) for command in commands]


def test_the_docs_refer_to_nothing_a_user_lacks() -> None:
    link = re.compile(r"\]\(([^)#\s]+)(?:#([^)\s]+))?\)")
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert "../shared" not in text, f"{page.name} refers to files outside the project"
        assert "shared/" not in text, f"{page.name} refers to files outside the project"
        for target, anchor in link.findall(text):
            if re.match(r"[a-z]+:", target):
                continue
            file = (page.parent / target).resolve()
            assert file.exists(), f"{page.name}: the link to {target} leads nowhere"
            if anchor and file.suffix == ".md":
                assert anchor in _anchors(file), f"{page.name}: {target} has no heading #{anchor}"


def test_every_rule_code_is_explained_in_the_messages_page() -> None:
    from services.kernel.rules.catalogue import RULE_CODES

    text = (PROJECT / "docs" / "messages.md").read_text(encoding="utf-8")
    missing = [code for code in RULE_CODES if f"`{code}`" not in text]
    assert not missing, f"docs/messages.md does not list {', '.join(missing)}"


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    anchors = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors
