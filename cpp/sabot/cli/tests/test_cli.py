"""The `sabot` command line itself: version, usage errors, explain, print/count sinks, paths."""
import json
import os
import re
import subprocess

import pyarrow.parquet as pq

from e2e_util import call, col, lit, run_cli, sink_file

GENERATOR = {"op": "source", "format": "generator", "generator": {"rows": 123_457, "batch_size": 10_000}}


def test_version(sabot_bin):
    rc, out, _ = run_cli(sabot_bin, "--version")
    assert rc == 0
    assert out.startswith("sabot ") and "arrow" in out


def test_no_arguments_is_an_error(sabot_bin):
    rc, out, err = run_cli(sabot_bin)
    assert rc != 0
    assert "subcommand" in (out + err).lower()


def test_run_without_job_is_an_error(sabot_bin):
    rc, _, _ = run_cli(sabot_bin, "run")
    assert rc != 0


def test_explain_prints_tree_with_schemas(runner, data):
    plan = {"op": "sink", "kind": "count", "input": {
        "op": "project", "input": {
            "op": "filter", "input": data.source_node("parquet", columns=["id", "k", "s"]),
            "predicate": call("greater", col("k"), lit(0, "int64"))},
        "columns": [{"name": "id", "expr": col("id")},
                    {"name": "up", "expr": call("utf8_upper", col("s"))}]}}
    rc, out, err = runner.explain(plan)
    assert rc == 0, err
    lines = out.splitlines()
    names = [line.strip().split()[0] for line in lines if not line.strip().startswith("->")]
    assert names == ["Sink", "Project", "Filter", "Source"], out
    schemas = [line.strip() for line in lines if line.strip().startswith("->")]
    assert schemas[0] == "-> id: int64, up: string"
    assert schemas[-1] == "-> id: int64, k: int64, s: string"
    # Each child is indented deeper than its parent.
    indents = [len(line) - len(line.lstrip()) for line in lines if not line.strip().startswith("->")]
    assert indents == sorted(indents) and len(set(indents)) == 4
    assert str(data.files["parquet"]) in out


def test_explain_reports_plan_errors(runner, data):
    plan = {"op": "sink", "kind": "count", "input": {
        "op": "filter", "input": data.source_node("parquet"),
        "predicate": call("greater", col("missing_col"), lit(0, "int64"))}}
    rc, _, err = runner.explain(plan)
    assert rc != 0 and "missing_col" in err


def test_generator_count_sink(runner):
    out, err = runner.run_ok({"op": "sink", "kind": "count", "input": GENERATOR}, "--stats")
    assert "read 123457 rows" in err and "wrote 123457 rows" in err, err


def test_stats_lists_every_step_with_its_rows(runner):
    source = {"op": "source", "format": "generator", "generator": {"rows": 2_500_000, "batch_size": 50_000}}
    plan = {"op": "sink", "kind": "count", "input": {
        "op": "filter", "input": source, "predicate": call("less", col("key"), lit(10, "int64"))}}
    _, err = runner.run_ok(plan, "--stats", "--threads", "2")
    wrote = int(re.search(r"wrote (\d+) rows", err).group(1))
    assert "on 2 threads" in err, err
    # label (may hold spaces), rows in, batches in, rows out, batches out, ms, share
    lines = err.splitlines()[2:]
    stage_header = next(i for i, line in enumerate(lines) if line.startswith("stage "))
    steps = {line.split()[0]: line.rsplit(None, 6)[1:] for line in lines[:stage_header]}
    assert list(steps) == ["step", "Sink", "Filter", "Source"], err
    assert steps["Filter"][0] == "2500000" and steps["Filter"][2] == str(wrote), err
    assert steps["Sink"][0] == str(wrote) and steps["Source"][0] == "-", err
    # Then each phase's wall time: here the one main pipeline.
    assert [line.split("  ")[0] for line in lines[stage_header + 1:]] == ["main on 2 threads"], err


def test_generator_is_deterministic(runner, tmp_path):
    results = []
    for i in range(2):
        path = tmp_path / f"gen{i}.parquet"
        plan = {"op": "filter", "input": GENERATOR,
                "predicate": call("less", col("key"), lit(10, "int64"))}
        runner.run_ok(sink_file(plan, path))
        results.append(pq.read_table(path))
    a, b = results
    assert a.equals(b)
    assert a.column_names == ["id", "key", "value", "category", "ts"]
    assert 0 < a.num_rows < 123_457
    ids = a["id"].to_pylist()
    assert ids == sorted(ids) and ids[-1] < 123_457
    assert all(0 <= k < 10 for k in a["key"].to_pylist())
    # ts = start + id * step, with the documented defaults.
    start_us, step_us = 1_700_000_000_000_000, 1_000
    ts = a["ts"].cast("int64").to_pylist()
    assert all(t == start_us + i * step_us for t, i in zip(ts, ids))


def test_print_sink(runner, data):
    plan = {"op": "sink", "kind": "print", "max_rows": 5,
            "input": {"op": "limit", "count": 12, "input": data.source_node("parquet", ["id", "s"])}}
    out, _ = runner.run_ok(plan)
    assert "12 rows" in out
    assert "id" in out and "string" in out


def test_relative_paths_resolve_against_the_plan_file(sabot_bin, data, tmp_path):
    job_dir = tmp_path / "job"
    (job_dir / "in").mkdir(parents=True)
    (job_dir / "in" / "data.parquet").write_bytes(data.files["parquet"].read_bytes())
    plan = {"sabot_plan_version": 1, "plan": {
        "op": "sink", "kind": "file", "format": "parquet", "path": "result.parquet",
        "input": {"op": "limit", "count": 10,
                  "input": {"op": "source", "format": "parquet", "path": "in/data.parquet"}}}}
    (job_dir / "plan.json").write_text(json.dumps(plan))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess.run([sabot_bin, "run", os.path.relpath(job_dir / "plan.json", elsewhere)],
                          cwd=elsewhere, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert pq.read_table(job_dir / "result.parquet").num_rows == 10
    assert not list(elsewhere.iterdir())


def test_main_example_runs(sabot_bin):
    from e2e_util import REPO_ROOT
    rc, out, err = run_cli(sabot_bin, "run", REPO_ROOT / "examples" / "trips_report.json")
    assert rc == 0, err
    assert "FLUSHING" in out and "8 rows" in out


def test_main_example_matches_duckdb(sabot_bin, tmp_path):
    """The README's job, with its print sink swapped for Parquet, against the same SQL."""
    import math

    import duckdb
    from e2e_util import REPO_ROOT

    example = REPO_ROOT / "examples"
    plan = json.loads((example / "trips_report.json").read_text())
    source = plan["plan"]
    while source["op"] != "source":
        source = source["input"]
    source["path"] = str(example / source["path"])
    out = tmp_path / "report.parquet"
    plan["plan"] = {"op": "sink", "kind": "file", "format": "parquet", "path": str(out),
                    "input": plan["plan"]["input"]}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    rc, _, err = run_cli(sabot_bin, "run", tmp_path / "plan.json")
    assert rc == 0, err
    got = pq.read_table(out).to_pylist()
    want = duckdb.sql(f"""
        SELECT upper(zone) AS zone, count(*) AS trips, round(avg(fare / distance_km), 2),
               round(avg(tip / fare * 100), 1), max(distance_km)
        FROM read_csv('{example / "data" / "trips.csv"}')
        WHERE distance_km > 1 AND tip IS NOT NULL
        GROUP BY upper(zone) ORDER BY trips DESC, zone""").fetchall()
    assert len(got) == len(want) == 8
    for g, w in zip(got, want):
        assert (g["zone"], g["trips"]) == (w[0], w[1])
        # Both round; only a value exactly halfway could round apart (half-even vs half-up).
        assert math.isclose(g["avg_fare_per_km"], w[2], abs_tol=0.0101)
        assert math.isclose(g["avg_tip_pct"], w[3], abs_tol=0.101)
        assert g["longest_km"] == w[4]


def test_python_job_runs_through_the_cli(sabot_bin, tmp_path):
    """`sabot run job.py` hands the job to the Python package, which runs it in the engine."""
    job = tmp_path / "job.py"
    out = tmp_path / "out.parquet"
    job.write_text(
        "import sabot\n"
        "from sabot import col\n"
        f"n = sabot.generate(rows=5000, seed=3).filter(col('key') < 100).write_parquet({str(out)!r})\n"
        "print('wrote', n)\n")
    rc, stdout, err = run_cli(sabot_bin, "run", job)
    assert rc == 0, err
    written = pq.read_table(out)
    assert stdout.strip() == f"wrote {written.num_rows}"
    assert written.num_rows > 0 and max(written.column("key").to_pylist()) < 100

    broken = tmp_path / "broken.py"
    broken.write_text("import sabot\nsabot.read_csv('/no/such/file.csv').collect()\n")
    rc, _, err = run_cli(sabot_bin, "run", broken)
    assert rc == 1 and "file not found: /no/such/file.csv" in err, err
