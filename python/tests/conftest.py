"""Shared fixtures: the repository's paths, input files in every format, and a DuckDB
oracle. The tests import the installed package (`make python`), not python/sabot; helpers
live in sabot_test_support.py."""
from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.feather as feather
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from sabot_test_support import REPO_ROOT, TRIPS_CSV


@pytest.fixture(scope="session")
def trips_csv() -> Path:
    return TRIPS_CSV


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


def _sample_table(rows: int = 5_000, seed: int = 3) -> pa.Table:
    """Mixed types with nulls: ints, floats, strings, bools, timestamps."""
    rng = np.random.default_rng(seed)
    ids = np.arange(rows, dtype=np.int64)
    price = np.round(rng.uniform(0, 100, rows), 2)
    price_mask = rng.random(rows) < 0.05
    words = np.array(["alpha", "bravo", "charlie", "delta", "echo"])
    return pa.table({
        "id": pa.array(ids),
        "qty": pa.array(rng.integers(1, 50, rows), pa.int64()),
        "price": pa.array(price, mask=price_mask),
        "category": pa.array(words[rng.integers(0, len(words), rows)].tolist()),
        "flag": pa.array(rng.random(rows) < 0.5),
        "ts": pa.array(1_700_000_000_000_000 + ids * 1_000_000, pa.timestamp("us")),
    })


@pytest.fixture(scope="session")
def sample_table() -> pa.Table:
    return _sample_table()


@pytest.fixture(scope="session")
def data_files(tmp_path_factory, sample_table) -> dict[str, Path]:
    """The sample table written once in every format the readers take."""
    d = tmp_path_factory.mktemp("inputs")
    files = {
        "parquet": d / "sample.parquet",
        "csv": d / "sample.csv",
        "jsonl": d / "sample.jsonl",
        "ipc": d / "sample.arrow",
        "ipc_stream": d / "sample.arrows",
    }
    pq.write_table(sample_table, files["parquet"], row_group_size=1_000)
    pcsv.write_csv(sample_table, files["csv"])
    feather.write_feather(sample_table, files["ipc"], compression="uncompressed")
    with ipc.new_stream(files["ipc_stream"], sample_table.schema) as w:
        w.write_table(sample_table, max_chunksize=700)
    # JSON lines through DuckDB, which writes timestamps as text and nulls as null.
    con = duckdb.connect()
    con.register("t", sample_table)
    con.execute(f"COPY (SELECT * FROM t) TO '{files['jsonl']}' (FORMAT json)")
    return files


@pytest.fixture()
def duck():
    con = duckdb.connect()
    yield con
    con.close()
