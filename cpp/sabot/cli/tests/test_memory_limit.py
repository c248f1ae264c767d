"""`sabot run --memory-limit`: a join and an aggregation that pass the limit spill and give
the same result; with --no-spill the job fails with a clear error; bad sizes are refused."""

import pyarrow.parquet as pq


def generator(rows, keys, seed):
    return {"op": "source", "format": "generator",
            "generator": {"rows": rows, "num_keys": keys, "seed": seed}}


JOB = {"op": "aggregate", "keys": ["key"],
       "aggregates": [{"function": "sum", "column": "value", "name": "total"},
                      {"function": "count_all", "column": "", "name": "n"}],
       "input": {"op": "join", "type": "left", "left_keys": ["key"], "right_keys": ["key"],
                 "right_suffix": "_r",
                 "inputs": [generator(400_000, 200_000, 1), generator(200_000, 200_000, 2)]}}


def sink(path):
    return {"op": "sink", "kind": "file", "format": "parquet", "path": str(path), "input": JOB}


def test_memory_limit_spills_and_gives_the_same_result(runner, tmp_path):
    runner.run_ok(sink(tmp_path / "free.parquet"))
    _, err = runner.run_ok(sink(tmp_path / "limited.parquet"), "--memory-limit", "2MB", "--stats",
                           "--spill-dir", str(tmp_path))
    assert "spilled" in err, err
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("sabot-spill")] == []
    free = pq.read_table(tmp_path / "free.parquet").sort_by("key")
    limited = pq.read_table(tmp_path / "limited.parquet").sort_by("key")
    assert limited.num_rows == free.num_rows > 100_000
    assert limited["key"].equals(free["key"]) and limited["n"].equals(free["n"])
    # Sums of doubles may differ in the last bits with the order rows were added in.
    for a, b in zip(limited["total"].to_pylist(), free["total"].to_pylist()):
        assert abs(a - b) <= 1e-9 * max(1.0, abs(b))


def test_no_spill_fails_with_the_budget_error(runner, tmp_path):
    rc, _, err = runner.run(sink(tmp_path / "out.parquet"), "--memory-limit", "2MB", "--no-spill")
    assert rc == 1
    assert "needs more memory than the job's budget of 2.0 MiB" in err, err
    assert "raise --memory-limit or allow spilling" in err
    assert not (tmp_path / "out.parquet").exists()


def test_bad_memory_limit_is_refused(runner, tmp_path):
    for bad in ["lots", "12XB", "0"]:
        rc, _, err = runner.run(sink(tmp_path / "out.parquet"), "--memory-limit", bad)
        assert rc != 0 and "--memory-limit" in err, err
