"""Shared test fixtures: where the project and the read-only external corpora are."""

import os
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared"


@pytest.fixture(scope="session")
def external() -> Path:
    """``../shared/external``: skipped when absent locally, a failure when absent in CI."""
    folder = SHARED / "external"
    if not folder.is_dir():
        reason = f"the external corpora are not at {folder} (clone ../shared beside the project)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return folder
