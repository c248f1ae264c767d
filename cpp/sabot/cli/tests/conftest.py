"""Fixtures for the `sabot` CLI end-to-end tests: the binary, a plan runner, test data."""
import os
from pathlib import Path

import pytest

from e2e_util import REPO_ROOT, DataFiles, Runner


@pytest.fixture(scope="session")
def sabot_bin():
    path = Path(os.environ.get("SABOT_BIN", REPO_ROOT / "build" / "sabot")).resolve()
    if not path.is_file():
        # A missing binary is a broken build, never a reason to pass quietly.
        pytest.fail(f"sabot binary not found at {path} (run `make build` or set SABOT_BIN)")
    return str(path)


@pytest.fixture
def runner(sabot_bin, tmp_path):
    return Runner(sabot_bin, tmp_path)


@pytest.fixture(scope="session")
def data(tmp_path_factory):
    return DataFiles(tmp_path_factory.mktemp("data"))
