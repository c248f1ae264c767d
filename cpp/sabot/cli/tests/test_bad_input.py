"""Bad input: every failure exits non-zero, names the thing at fault, and leaves no output."""
import json
import signal
import subprocess
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from e2e_util import assert_no_output, call, col, lit, sink_file


@pytest.fixture
def out(tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    return out_dir / "result.parquet"


def assert_fails(runner, plan, out, *needles, version=1):
    rc, _, err = runner.run(plan, version=version)
    assert rc != 0, "sabot succeeded on bad input"
    assert err.startswith("sabot: error: "), err
    for needle in needles:
        assert str(needle) in err, f"{needle!r} not in the message: {err}"
    assert_no_output(out)
    return err


def test_malformed_csv_row(runner, data, tmp_path, out):
    lines = data.files["csv"].read_text(encoding="utf-8").splitlines(keepends=True)
    bad_line = 19_000  # in a later block than the first, so output has started
    lines[bad_line - 1] = lines[bad_line - 1].rstrip("\n") + ",surplus\n"
    path = tmp_path / "bad.csv"
    path.write_text("".join(lines), encoding="utf-8")
    plan = sink_file({"op": "source", "format": "csv", "path": str(path)}, out)
    assert_fails(runner, plan, out, path, f"line {bad_line}")


def test_csv_value_of_wrong_type(runner, tmp_path, out):
    # Inference sees int64 in the first block; a later block holds text.
    rows = [str(i) for i in range(300_000)]
    rows[250_000] = "oops"
    path = tmp_path / "ints.csv"
    path.write_text("n\n" + "\n".join(rows) + "\n")
    plan = sink_file({"op": "source", "format": "csv", "path": str(path)}, out)
    assert_fails(runner, plan, out, path, "'n'", "oops")


def test_unparsable_json_line(runner, data, tmp_path, out):
    lines = data.files["jsonl"].read_text(encoding="utf-8").splitlines(keepends=True)
    lines[15_000 - 1] = '{"id": 14999, "k": 3, "f": \n'
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    plan = sink_file({"op": "source", "format": "jsonl", "path": str(path)}, out)
    assert_fails(runner, plan, out, path, "line 15000")


def test_unknown_column_in_expression(runner, data, out):
    plan = sink_file({"op": "filter", "input": data.source_node("parquet"),
                      "predicate": call("greater", col("prize"), lit(1, "int64"))}, out)
    err = assert_fails(runner, plan, out, "'prize'")
    for existing in ("id", "k", "tags"):
        assert existing in err


def test_unknown_column_in_source(runner, data, out):
    plan = sink_file({"op": "source", "format": "csv", "path": str(data.files["csv"]),
                      "columns": ["id", "prize"]}, out)
    err = assert_fails(runner, plan, out, "'prize'")
    for existing in ("id", "k", "tags"):
        assert existing in err


def test_type_mismatch_in_expression(runner, data, out):
    plan = sink_file({"op": "project", "input": data.source_node("parquet"),
                      "columns": [{"name": "x", "expr": call("add", col("k"), col("s"))}]}, out)
    assert_fails(runner, plan, out, "add", "int64", "string")


def test_unknown_function(runner, data, out):
    plan = sink_file({"op": "project", "input": data.source_node("parquet"),
                      "columns": [{"name": "x", "expr": call("no_such_function", col("k"))}]}, out)
    assert_fails(runner, plan, out, "no_such_function")


def test_missing_input_file(runner, tmp_path, out):
    missing = tmp_path / "nowhere" / "data.parquet"
    plan = sink_file({"op": "source", "format": "parquet", "path": str(missing)}, out)
    assert_fails(runner, plan, out, missing)


def test_glob_matching_nothing(runner, tmp_path, out):
    pattern = tmp_path / "nothing-*.csv"
    plan = sink_file({"op": "source", "format": "csv", "path": str(pattern)}, out)
    assert_fails(runner, plan, out, pattern)


@pytest.mark.parametrize("fmt,fraction", [("parquet", 0.5), ("parquet", 0.98), ("ipc", 0.5),
                                          ("ipc_stream", 0.6)])
def test_truncated_file(runner, data, tmp_path, out, fmt, fraction):
    whole = data.files[fmt].read_bytes()
    path = tmp_path / f"truncated_{data.files[fmt].name}"
    path.write_bytes(whole[: int(len(whole) * fraction)])
    plan = sink_file({"op": "source", "format": fmt, "path": str(path)}, out)
    assert_fails(runner, plan, out, path)


def test_file_of_another_format(runner, data, out):
    plan = sink_file({"op": "source", "format": "parquet", "path": str(data.files["csv"])}, out)
    assert_fails(runner, plan, out, data.files["csv"])


def test_plan_of_another_version(runner, data, out):
    plan = sink_file(data.source_node("parquet"), out)
    assert_fails(runner, plan, out, "version 2", version=2)


def test_plan_json_syntax_error(runner, data, tmp_path, out):
    text = json.dumps({"sabot_plan_version": 1, "plan": sink_file(data.source_node("parquet"), out)})
    path = tmp_path / "broken.json"
    path.write_text(text[:-7])
    rc, _, err = runner.run_path(path)
    assert rc != 0
    assert err.startswith("sabot: error: ") and str(path) in err and "not valid JSON" in err, err
    assert_no_output(out)


def test_plan_file_not_found(runner, tmp_path):
    rc, _, err = runner.run_path(tmp_path / "missing.json")
    assert rc != 0 and "missing.json" in err, err


def test_unknown_op(runner, data, out):
    plan = sink_file({"op": "no_such_op", "input": data.source_node("parquet")}, out)
    assert_fails(runner, plan, out, "no_such_op")


def test_output_directory_missing(runner, data, tmp_path):
    target = tmp_path / "no_such_dir" / "result.parquet"
    rc, _, err = runner.run(sink_file(data.source_node("parquet"), target))
    assert rc != 0 and "no_such_dir" in err, err
    assert not target.parent.exists()


def test_csv_sink_cannot_hold_lists(runner, data, out):
    csv_out = out.with_suffix(".csv")
    plan = sink_file(data.source_node("parquet", columns=["id", "nums"]), csv_out, fmt="csv")
    assert_fails(runner, plan, csv_out, "nums")


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "ipc", "ipc_stream", "parquet"])
def test_failing_expression_in_later_batch(runner, tmp_path, out, fmt):
    # Every value parses but one, deep in the file: the sink has written batches by
    # then, and must still leave nothing behind.
    values = [str(i) for i in range(20_000)]
    values[17_000] = "x17000"
    path = tmp_path / "numbers_as_text.parquet"
    pq.write_table(pa.table({"id": range(20_000), "v": values}), path, row_group_size=2000)
    target = out.with_suffix("." + fmt)
    plan = sink_file({"op": "project", "input": {"op": "source", "format": "parquet", "path": str(path)},
                      "columns": [{"name": "id", "expr": col("id")},
                                  {"name": "n", "expr": call("cast", col("v"), to="int64")}]},
                     target, fmt=fmt)
    assert_fails(runner, plan, target, "x17000")


def test_interrupted_job_leaves_no_output(runner, out):
    # An endless, rate-limited source: only SIGINT ends it.
    source = {"op": "source", "format": "generator",
              "generator": {"rows": -1, "batch_size": 1000, "rows_per_second": 100_000}}
    plan_path = runner.plan_file(sink_file(source, out))
    proc = subprocess.Popen([runner.bin, "run", str(plan_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        # Wait until the sink has opened its temporary, so the interrupt lands mid-write.
        while not list(out.parent.glob("*.sabot-tmp-*")) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "cancelled" in err
    assert_no_output(out)


def test_existing_output_kept_on_failure(runner, tmp_path, out):
    # A failed job must not clobber the previous result either.
    out.write_bytes(b"previous result")
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1 definitely not parquet")
    rc, _, err = runner.run(sink_file({"op": "source", "format": "parquet", "path": str(path)}, out))
    assert rc != 0 and str(path) in err, err
    assert out.read_bytes() == b"previous result"
    assert not list(out.parent.glob("*.sabot-tmp-*"))
