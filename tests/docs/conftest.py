"""Shows how many documentation examples the run executed, page by page."""

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.docs.test_examples import RAN

    if RAN:
        counts = ", ".join(f"{page} {count}" for page, count in sorted(RAN.items()))
        terminalreporter.write_line(f"docs examples run: {sum(RAN.values())} ({counts})")
