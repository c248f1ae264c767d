"""Worker threads from Python: set_threads, $SABOT_THREADS, `sabot run --threads`, and
parallel plans (scan, filter, join probe, partial aggregation) giving exactly the rows
one thread gives, in the same order, and what DuckDB gives."""
from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import numpy as np
import pyarrow as pa
import pytest

import sabot
from sabot import agg
from sabot.expr import col


@pytest.fixture(autouse=True)
def _restore_threads():
    yield
    sabot.set_threads(None)
    sabot.set_ordered(True)


def _tables(rows: int = 600_000):
    rng = np.random.default_rng(11)
    facts = pa.table({
        "k": rng.integers(0, 4_000, rows),
        "v": rng.integers(-1_000, 1_000, rows),
        "x": rng.random(rows),
    })
    dim = pa.table({
        "id": np.arange(0, 4_000, 2),  # half the facts find no match
        "name": [f"n{i % 13}" for i in range(2_000)],
    })
    return facts, dim


def _query(facts, dim, how):
    s = (sabot.from_arrow(facts, name="facts").filter(col("v") > -900)
         .join(sabot.from_arrow(dim, name="dim"), left_on="k", right_on="id", how=how))
    return s


@pytest.mark.parametrize("how", ["inner", "left", "semi", "anti"])
def test_join_probe_is_identical_for_any_thread_count(how):
    facts, dim = _tables()
    sabot.set_threads(1)
    one = _query(facts, dim, how).collect()
    assert one.num_rows > 10_000
    for threads in (2, 4):
        sabot.set_threads(threads)
        assert _query(facts, dim, how).collect().equals(one), f"{threads} threads"


def test_join_then_aggregate_matches_duckdb_on_four_threads():
    facts, dim = _tables()
    sabot.set_threads(4)
    got = (_query(facts, dim, "inner").group_by("name")
           .agg(n=agg.count(), total=agg.sum("v"), mean_x=agg.mean("x")).sort("name").collect())
    want = duckdb.sql("""
        SELECT name, count(*) AS n, sum(v) AS total, avg(x) AS mean_x
        FROM facts JOIN dim ON k = id WHERE v > -900 GROUP BY name ORDER BY name""").arrow()
    if hasattr(want, "read_all"):
        want = want.read_all()
    assert got.column("name").to_pylist() == want.column("name").to_pylist()
    assert got.column("n").to_pylist() == want.column("n").to_pylist()
    assert got.column("total").to_pylist() == want.column("total").to_pylist()
    np.testing.assert_allclose(got.column("mean_x").to_numpy(), want.column("mean_x").to_numpy(), rtol=1e-12)


def test_iteration_streams_parallel_results_in_order():
    facts, dim = _tables(300_000)
    sabot.set_threads(1)
    one = pa.Table.from_batches(list(_query(facts, dim, "inner")))
    sabot.set_threads(3)
    assert pa.Table.from_batches(list(_query(facts, dim, "inner"))).equals(one)


@pytest.mark.parametrize("bad", [0, -2, 1.5, "4", True])
def test_set_threads_rejects_what_is_not_a_positive_count(bad):
    with pytest.raises(ValueError, match="threads must be a positive int"):
        sabot.set_threads(bad)


def test_cli_threads_reaches_a_python_job(tmp_path, repo_root):
    job = tmp_path / "job.py"
    job.write_text("import os, sabot\n"
                   "import pyarrow as pa\n"
                   "print(os.environ.get('SABOT_THREADS'), sabot.from_arrow(pa.table({'a': [1, 2, 3]})).count())\n")
    sabot_bin = os.environ.get("SABOT_BIN", str(repo_root / "build" / "sabot"))
    proc = subprocess.run([sabot_bin, "run", "--threads", "3", str(job)], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "SABOT_PYTHON": sys.executable})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["3", "3"]


def test_unordered_gives_the_same_rows_as_duckdb_and_streams(tmp_path):
    """set_ordered(False): the same rows (as a multiset), from a scan, a filter and a
    join probe on several threads, by collect, iteration and a file sink."""
    facts, dim = _tables()
    con = duckdb.connect()
    want = con.sql("SELECT k, v, x, name FROM facts JOIN dim ON k = id WHERE v > -900").to_arrow_table()
    want = want.sort_by([("k", "ascending"), ("v", "ascending"), ("x", "ascending")])
    sabot.set_threads(4)
    sabot.set_ordered(False)
    stream = _query(facts, dim, "inner").select("k", "v", "x", "name")
    order = [("k", "ascending"), ("v", "ascending"), ("x", "ascending")]
    assert stream.collect().sort_by(order).equals(want)
    assert pa.Table.from_batches(list(stream), schema=want.schema).sort_by(order).equals(want)
    stream.write_parquet(tmp_path / "out.parquet")
    import pyarrow.parquet as pq
    assert pq.read_table(tmp_path / "out.parquet").sort_by(order).equals(want)
    with pytest.raises(TypeError, match="True or False"):
        sabot.set_ordered("no")


def test_cli_unordered_reaches_a_python_job(tmp_path, repo_root):
    job = tmp_path / "job.py"
    job.write_text("import os, sabot\n"
                   "print(os.environ.get('SABOT_UNORDERED'), sabot.stream._JobSettings.ordered)\n")
    sabot_bin = os.environ.get("SABOT_BIN", str(repo_root / "build" / "sabot"))
    proc = subprocess.run([sabot_bin, "run", "--unordered", str(job)], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "SABOT_PYTHON": sys.executable})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1", "False"]


def test_a_bad_sabot_threads_variable_is_named(tmp_path):
    proc = subprocess.run([sys.executable, "-c", "import sabot"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "SABOT_THREADS": "many"})
    assert proc.returncode != 0
    assert "SABOT_THREADS must be a positive thread count, found 'many'" in proc.stderr


def test_explain_analyze_counts_rows_per_step_on_every_thread_count():
    facts, dim = _tables(300_000)
    want = duckdb.sql("SELECT count(*) FROM facts WHERE v > -900").fetchall()[0][0]
    joined = duckdb.sql("SELECT count(*) FROM facts JOIN dim ON k = id WHERE v > -900").fetchall()[0][0]
    for threads in (1, 3):
        sabot.set_threads(threads)
        report = _query(facts, dim, "inner").explain_analyze()
        lines = report.splitlines()
        assert lines[0].startswith(f"{joined} rows in ") and f"on {threads} thread" in lines[0], report
        # label (may hold spaces), rows in, batches in, rows out, batches out, ms, share
        rows = {line.split()[0]: line.rsplit(None, 6)[1:] for line in lines[2:]}
        assert rows["Filter"][0] == "300000" and rows["Filter"][2] == str(want), report
        assert rows["Join"][2] == str(joined), report


def test_explain_analyze_shows_the_peak_state_of_streaming_windows():
    import datetime as dt
    report = (sabot.generate(rows=100_000, batch_size=5_000).window("ts", dt.timedelta(seconds=1), by="key")
              .agg(n=agg.count()).explain_analyze())
    lines = report.splitlines()
    assert lines[1].endswith("peak state"), report
    window = next(line for line in lines if line.strip().startswith("WindowAggregate"))
    assert 0 < int(window.split()[-1]) < 100_000, report  # windows close as the watermark passes


def test_explain_analyze_times_each_phase_on_the_wall_clock():
    # The join's build side runs first, then the probe: each phase with its wall time,
    # which the per-step times (summed over threads) cannot show.
    facts, dim = _tables()
    sabot.set_threads(2)
    report = sabot.from_arrow(facts).join(sabot.from_arrow(dim), left_on="k", right_on="id").explain_analyze()
    lines = report[report.index("\nstage") + 1:].splitlines()[1:]
    stages = [line for line in lines if not line.startswith(" ")]  # the build input's own run is indented
    labels = [line.split("  ")[0] for line in stages]
    assert labels[0].startswith("build input of Join inner on k = id"), report
    assert labels[1].startswith("hash table of Join inner on k = id"), report
    assert labels[-1] == "main on 2 threads", report
    assert stages[1].split()[-1] == str(dim.num_rows), report  # the rows the table holds
