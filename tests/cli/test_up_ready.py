"""What ``swx up`` tells a user once the network is ready: where to find the tokens."""

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from services.cli.launcher import LocalNetwork, free_base_port
from services.cli.up import _print_ready
from services.kernel.participants import OPERATOR


def test_the_ready_line_names_the_file_that_holds_the_operator_token(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWX_SECRETS_DIR", raising=False)
    net = LocalNetwork.prepare(data_dir=tmp_path / "var", base_port=free_base_port())
    output = io.StringIO()
    _print_ready(Console(file=output, width=400, color_system=None), net)

    ready = next(line for line in output.getvalue().splitlines() if line.startswith("ready"))
    named = re.search(r"operator token in (\S+);", ready)
    assert named is not None, ready
    # the network file lists only each token's hash; the token is a file beside it
    token_file = Path(named.group(1))
    assert token_file == net.network_file.parent / "OPERATOR.token"
    assert token_file.read_text(encoding="utf-8").strip() == net.token(OPERATOR)
    assert net.token(OPERATOR) not in net.network_file.read_text(encoding="utf-8")
