"""`python -m sabot run job.py|plan.json`, `python -m sabot explain`, and the examples."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pyarrow.parquet as pq
import pytest

import sabot
from sabot import col
from sabot_test_support import REPO_ROOT, subprocess_env


def run_sabot(*args: str, cwd=None, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sabot", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, env=subprocess_env())


def test_run_python_job(tmp_path, trips_csv):
    out = tmp_path / "out.parquet"
    job = tmp_path / "job.py"
    job.write_text(textwrap.dedent(f"""
        import sys
        import sabot
        from sabot import col
        assert __name__ == "__main__"
        rows = sabot.read_csv({str(trips_csv)!r}).filter(col("distance_km") > 5).write_parquet(sys.argv[1])
        print("rows", rows, "args", sys.argv[2:])
    """))
    proc = run_sabot("run", str(job), str(out), "--flag", "x")
    assert proc.returncode == 0, proc.stderr
    expected = sabot.read_csv(trips_csv).filter(col("distance_km") > 5).count()
    assert proc.stdout.strip() == f"rows {expected} args ['--flag', 'x']"
    assert pq.read_table(out).num_rows == expected


def test_python_job_error_is_reported(tmp_path):
    job = tmp_path / "bad_job.py"
    job.write_text("import sabot\nsabot.read_csv('missing_input.csv').collect()\n")
    proc = run_sabot("run", str(job))
    assert proc.returncode == 1
    assert proc.stderr.startswith("sabot: error:") and "missing_input.csv" in proc.stderr


def test_run_plan_json(tmp_path, trips_csv):
    out = tmp_path / "out.csv"
    stream = sabot.read_csv(trips_csv).filter(col("passengers") >= 3).select("trip_id", "zone")
    plan = tmp_path / "plan.json"
    plan.write_text(stream.to_plan_json("csv", str(out)))
    proc = run_sabot("run", str(plan))
    assert proc.returncode == 0, proc.stderr
    assert sabot.read_csv(out).collect().equals(stream.collect())

    explained = run_sabot("explain", str(plan))
    assert explained.returncode == 0, explained.stderr
    assert "trip_id: int64, zone: string" in explained.stdout


def test_run_repository_plan_file(repo_root):
    proc = run_sabot("run", str(repo_root / "examples" / "trips_report.json"))
    assert proc.returncode == 0, proc.stderr
    assert "FLUSHING" in proc.stdout and "avg_tip_pct" in proc.stdout


def test_run_bad_plan_file(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text('{"sabot_plan_version": 99, "plan": {}}')
    proc = run_sabot("run", str(plan))
    assert proc.returncode == 1
    assert proc.stderr.startswith("sabot: error:") and "version" in proc.stderr
    missing = run_sabot("run", str(tmp_path / "nope.json"))
    assert missing.returncode == 1 and "nope.json" in missing.stderr


def test_version():
    proc = run_sabot("--version")
    assert proc.returncode == 0 and sabot.__version__ in proc.stdout


EXAMPLES = {
    "python_bounded.py": [],
    "python_unbounded.py": ["--seconds", "0.3"],
}


@pytest.mark.parametrize("how", ["python", "sabot run"])
@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_examples_run(example, how):
    path = REPO_ROOT / "examples" / example
    cmd = [sys.executable, str(path)] if how == "python" else [sys.executable, "-m", "sabot", "run", str(path)]
    proc = subprocess.run(cmd + EXAMPLES[example], capture_output=True, text=True, timeout=30,
                          env=subprocess_env())
    assert proc.returncode == 0, proc.stderr
    if example == "python_bounded.py":
        assert "wrote 138 rows" in proc.stdout and "138 long trips with a tip" in proc.stdout
        assert "WILLIAMSBURG" in proc.stdout
    else:
        assert "batch 1:" in proc.stdout
        assert proc.stdout.rstrip().endswith("engine threads left: 0")


def test_readme_python_example_runs(tmp_path):
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## Python\n", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    code = code.replace('"examples/data/trips.csv"', repr(str(REPO_ROOT / "examples" / "data" / "trips.csv")))
    (tmp_path / "readme_job.py").write_text(code)
    proc = subprocess.run([sys.executable, "readme_job.py"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=30, env=subprocess_env())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["138"]
    assert pq.read_table(tmp_path / "long_trips.parquet").num_rows == 138
