"""TPC-H data: Parquet files made by tpchgen-cli, cached per scale factor.

    folder = ensure_data(0.1)         # bench/.cache/tpch/sf0.1/<table>.parquet, made if missing

Generation writes into a temporary folder and renames it when every table is there,
so an interrupted run leaves no half-made cache behind.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TABLES = ("region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem")
CACHE_ROOT = Path(__file__).resolve().parent.parent / ".cache" / "tpch"


def sf_label(sf: float) -> str:
    """0.1 -> '0.1', 1.0 -> '1': the name used in folders and result files."""
    return f"{sf:g}"


def _tpchgen() -> str:
    beside_python = Path(sys.executable).with_name("tpchgen-cli")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("tpchgen-cli")
    if found is None:
        raise RuntimeError("tpchgen-cli not found (beside this Python or on PATH): "
                           "install the pinned requirements (make setup)")
    return found


def ensure_data(sf: float, root: Path = CACHE_ROOT) -> Path:
    """The folder holding the eight tables at scale factor ``sf``; generated if missing."""
    if not sf > 0:
        raise ValueError(f"scale factor must be positive, not {sf!r}")
    folder = Path(root) / f"sf{sf_label(sf)}"
    if all((folder / f"{t}.parquet").is_file() for t in TABLES):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".sf{sf_label(sf)}-") as tmp:
        subprocess.run([_tpchgen(), "parquet", "-s", sf_label(sf), "-o", tmp, "-q"], check=True)
        missing = [t for t in TABLES if not (Path(tmp) / f"{t}.parquet").is_file()]
        if missing:
            raise RuntimeError(f"tpchgen-cli did not write {', '.join(missing)} into {tmp}")
        if folder.exists():  # a partial folder from an older run
            shutil.rmtree(folder)
        os.chmod(tmp, 0o755)  # mkdtemp made it private
        os.rename(tmp, folder)
        os.mkdir(tmp)  # TemporaryDirectory removes it on exit
    return folder


def table_path(folder: Path, table: str) -> Path:
    if table not in TABLES:
        raise ValueError(f"TPC-H has no table {table!r}; its tables are {', '.join(TABLES)}")
    return Path(folder) / f"{table}.parquet"


def duckdb_views(con, folder: Path) -> None:
    """One view per table over its Parquet file, named as in the specification."""
    for t in TABLES:
        path = str(table_path(folder, t)).replace("'", "''")
        con.execute(f"CREATE OR REPLACE VIEW {t} AS SELECT * FROM read_parquet('{path}')")
