"""Shows how many requests the OpenAPI contract run sent to each service."""

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.services.test_openapi_contract import REQUESTS

    if REQUESTS:
        counts = ", ".join(f"{name} {count}" for name, count in sorted(REQUESTS.items()))
        terminalreporter.write_line(f"OpenAPI contract run: {sum(REQUESTS.values())} requests ({counts})")
