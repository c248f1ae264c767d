"""Python UDFs: each strategy (njit, vectorize, guvectorize, batch, interpreted) against
DuckDB or pyarrow.compute, nulls, strings and timestamps, caching in memory and on disk,
parallel engine threads, and errors that name the UDF and its line."""
from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
import traceback

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import sabot
from sabot import col
from sabot_test_support import assert_same_rows


@pytest.fixture(autouse=True)
def udf_cache(tmp_path_factory, monkeypatch):
    # Compiled kernels of these tests go to a folder of their own, not ~/.cache.
    folder = tmp_path_factory.getbasetemp() / "udf-cache"
    monkeypatch.setenv("SABOT_UDF_CACHE_DIR", str(folder))
    return folder


def _numbers(rows: int = 20_000, seed: int = 5) -> pa.Table:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    y = rng.normal(size=rows)
    x_valid = rng.random(rows) > 0.1
    return pa.table({
        "id": pa.array(np.arange(rows, dtype=np.int64)),
        "x": pa.array(x, mask=~x_valid),
        "y": pa.array(y),
        "k": pa.array(rng.integers(-50, 50, size=rows)),
    })


def _duck(duck, table: pa.Table, sql: str) -> pa.Table:
    duck.register("t", table)
    return duck.sql(sql).to_arrow_table()


def _udf_lines(stream: sabot.Stream) -> list[str]:
    return [line for line in stream.explain().splitlines() if line.startswith("udf ")]


# -- strategies ---------------------------------------------------------------------------
def piecewise(x, k):
    # Branches and a loop: the njit strategy.
    if x > 0:
        total = 0.0
        for i in range(3):
            total += x * i
        return total + k
    return x - k


def test_scalar_code_with_branches_and_loops_is_njit_compiled_and_matches_duckdb(duck):
    table = _numbers()
    stream = sabot.from_arrow(table).with_columns(p=piecewise)
    got = stream.collect()
    want = _duck(duck, table, "SELECT *, CASE WHEN x > 0 THEN x * 3 + k ELSE x - k END AS p FROM t")
    assert_same_rows(got, want)
    lines = _udf_lines(stream)
    assert len(lines) == 1 and "piecewise(x, k)" in lines[0] and ": njit (" in lines[0], lines
    assert "branches" in lines[0] and "loops" in lines[0]


def test_elementwise_numpy_code_is_vectorized_and_matches_pyarrow():
    table = _numbers()
    stream = sabot.from_arrow(table).with_columns(norm=lambda x, y: np.sqrt(x * x + y * y) + np.abs(y))
    got = stream.collect()
    x, y = table["x"], table["y"]
    want = pc.add(pc.sqrt(pc.add(pc.multiply(x, x), pc.multiply(y, y))), pc.abs(y))
    np.testing.assert_allclose(got["norm"].to_numpy(zero_copy_only=False),
                               want.to_numpy(zero_copy_only=False), equal_nan=True)
    assert got["norm"].null_count == table["x"].null_count  # a null x gives a null norm
    assert ": vectorize (" in _udf_lines(stream)[0]


def clipped(y):
    # np.where is not a ufunc: whole-column array code.
    return np.where(y > 0.5, 0.5, y)


def test_numpy_array_code_is_guvectorized_and_matches_pyarrow():
    table = _numbers()
    stream = sabot.from_arrow(table).with_columns(c=clipped)
    got = stream.collect()
    want = pc.if_else(pc.greater(table["y"], 0.5), 0.5, table["y"])
    assert got["c"].to_pylist() == want.to_pylist()
    line = _udf_lines(stream)[0]
    assert ": guvectorize (" in line and "np.where is not element-wise" in line


def test_code_calling_pyarrow_runs_as_a_batch_function_untouched():
    table = _numbers()
    stream = sabot.from_arrow(table).with_columns(z=lambda x, k: pc.add(pc.multiply(x, 2), k))
    got = stream.collect()
    assert got["z"].to_pylist() == pc.add(pc.multiply(table["x"], 2), table["k"]).to_pylist()
    assert ": batch (calls pyarrow" in _udf_lines(stream)[0]


def test_explain_shows_map_batches_functions_as_batch():
    def add_flag(batch):
        return batch.append_column("flag", pa.array([True] * batch.num_rows))

    text = sabot.from_arrow(_numbers(10)).map_batches(add_flag).explain()
    assert "map_batches" in text and "add_flag" in text and ": batch (RecordBatch in, RecordBatch out" in text


def test_code_calling_pandas_runs_as_a_batch_function():
    import pandas as pd

    def shifted(k):
        return pd.Series(k.to_numpy()) + 1

    got = sabot.from_arrow(_numbers(100)).with_columns(s=shifted).collect()
    assert got["s"].to_pylist() == [v + 1 for v in got["k"].to_pylist()]


def describe_number(k):
    # A dict and a string result: numba compiles neither, so this runs interpreted.
    names = {0: "zero", 1: "one"}
    return names.get(k, "many") + "!"


def test_what_numba_cannot_compile_runs_interpreted_with_a_warning_saying_why():
    table = pa.table({"k": pa.array([0, 1, 5, None])})
    stream = sabot.from_arrow(table).with_columns(d=describe_number)
    with pytest.warns(sabot.UdfWarning, match=r"describe_number .* runs interpreted.*numba could not compile"):
        got = stream.collect()
    assert got["d"].to_pylist() == ["zero!", "one!", "many!", None]
    assert ": interpreted (numba could not compile" in _udf_lines(stream)[0]


def test_filter_and_map_take_udfs(duck):
    table = _numbers()
    got = (sabot.from_arrow(table)
           .filter(lambda x, y: x > y and y > -1.0)
           .map(piecewise)
           .select("id", "piecewise")
           .collect())
    want = _duck(duck, table, "SELECT id, CASE WHEN x > 0 THEN x * 3 + k ELSE x - k END AS piecewise FROM t "
                              "WHERE x > y AND y > -1.0")
    assert got.num_rows > 0
    assert_same_rows(got, want)


def test_map_of_a_lambda_needs_a_name():
    with pytest.raises(TypeError, match="name="):
        sabot.from_arrow(_numbers(10)).map(lambda x: x + 1)


def test_lambdas_on_one_line_are_analysed_apart():
    stream = sabot.from_arrow(_numbers(10)).with_columns(b=lambda y: np.exp(y), a=lambda y: y + 1)
    lines = sorted(_udf_lines(stream), key=lambda line: "np" in line)
    assert any(": vectorize (" in line for line in lines) and any(": njit (" in line for line in lines), lines


def test_explain_before_running_shows_the_planned_strategy():
    def plus_one(k):
        return k + 1

    text = sabot.from_arrow(_numbers(10)).with_columns(n=plus_one).explain(schemas=False)
    assert "njit planned" in text and "plus_one(k)" in text


# -- nulls, strings, timestamps, declared types ----------------------------------------------
def test_nulls_propagate_unless_the_udf_handles_them():
    table = pa.table({"x": pa.array([1.5, None, -2.0])})

    @sabot.udf(handles_nulls=True, returns=pa.float64())
    def zero_for_null(x):
        if x is None:
            return 0.0
        return x * 2

    @sabot.udf(handles_nulls=True)
    def null_when_negative(x):
        if x is None or x < 0:
            return None
        return x + 1

    stream = sabot.from_arrow(table).with_columns(a=lambda x: x * 2, b=zero_for_null, c=null_when_negative)
    got = stream.collect()
    assert got["a"].to_pylist() == pc.multiply(table["x"], 2).to_pylist() == [3.0, None, -4.0]
    assert got["b"].to_pylist() == [3.0, 0.0, -4.0]
    assert got["c"].to_pylist() == [2.5, None, None]
    assert all(": njit (" in line for line in _udf_lines(stream))  # all three compiled


def test_string_udf_that_handles_nulls():
    @sabot.udf(handles_nulls=True)
    def length_or_minus_one(s):
        return -1 if s is None else len(s)

    table = pa.table({"s": pa.array(["ab", None, "ünï"])})
    stream = sabot.from_arrow(table).with_columns(n=length_or_minus_one)
    assert stream.collect()["n"].to_pylist() == [2, -1, 3]
    assert ": njit (" in _udf_lines(stream)[0]


def test_strings_arrive_as_str(duck):
    table = pa.table({"s": pa.array(["apple", "héllo wörld", None, "", "日本", "a😀"] * 50)})

    def shout(s):
        return len(s) * 10 + (1 if s.startswith("a") else 0)

    stream = sabot.from_arrow(table).with_columns(n=shout)
    got = stream.collect()
    want = _duck(duck, table, "SELECT s, length(s) * 10 + CASE WHEN starts_with(s, 'a') THEN 1 ELSE 0 END AS n "
                              "FROM t")
    assert_same_rows(got, want.cast(got.schema))
    assert ": njit (" in _udf_lines(stream)[0]


def test_timestamps_arrive_as_integers_of_their_unit(duck):
    ts = pa.array([0, 1_700_000_123_456_789, None, 86_400_000_000], type=pa.timestamp("us"))
    table = pa.table({"ts": ts})

    @sabot.udf(returns=pa.timestamp("us"))
    def plus_hour(ts):
        return ts + 3_600_000_000

    got = sabot.from_arrow(table).with_columns(second=lambda ts: ts // 1_000_000 % 60, later=plus_hour).collect()
    want = _duck(duck, table, "SELECT ts, (epoch_us(ts) // 1000000) % 60 AS second, "
                              "ts + INTERVAL 1 HOUR AS later FROM t")
    assert got["second"].to_pylist() == want["second"].to_pylist()
    assert got["later"].type == pa.timestamp("us")
    assert got["later"].to_pylist() == want["later"].cast(pa.timestamp("us")).to_pylist()


def test_booleans_in_and_out():
    table = pa.table({"f": pa.array([True, False, None, True]), "k": pa.array([1, 2, 3, -4])})
    got = sabot.from_arrow(table).with_columns(g=lambda f, k: f and k > 0).collect()
    assert got["g"].to_pylist() == [True, False, None, False]


# -- caching ------------------------------------------------------------------------------
def _scaler(factor):
    def scale(x):
        return x * factor + 1.0
    return scale


def test_second_run_compiles_nothing_and_closures_are_part_of_the_key():
    table = _numbers(1_000)
    first = sabot.from_arrow(table).with_columns(s=_scaler(3.0)).collect()
    compiled = sabot.udf_cache_info()["compiled"] + sabot.udf_cache_info()["disk_hits"]
    again = sabot.from_arrow(table).with_columns(s=_scaler(3.0)).collect()  # same code, same closure value
    assert sabot.udf_cache_info()["compiled"] + sabot.udf_cache_info()["disk_hits"] == compiled
    assert again.equals(first)
    other = sabot.from_arrow(table).with_columns(s=_scaler(5.0)).collect()  # another closure value
    assert sabot.udf_cache_info()["compiled"] + sabot.udf_cache_info()["disk_hits"] == compiled + 1
    assert other["s"].to_pylist() == pc.add(pc.multiply(table["x"], 5.0), 1.0).to_pylist()


def test_a_new_process_loads_compiled_code_from_the_disk_cache(tmp_path, udf_cache):
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent("""
        import json, pyarrow as pa, sabot

        def damped(x):
            y = 0.0
            for i in range(4):
                y = y * 0.5 + x
            return y

        t = pa.table({"x": pa.array([1.0, 2.0, None])})
        # Two lambdas on one line: their cache entries must not mix.
        out = sabot.from_arrow(t).with_columns(d=damped, e=lambda x: x + 1, f=lambda x: x * 3).collect()
        print(json.dumps({"d": out["d"].to_pylist(), "e": out["e"].to_pylist(), "f": out["f"].to_pylist(),
                          **sabot.udf_cache_info()}))
    """))
    env = dict(os.environ, SABOT_UDF_CACHE_DIR=str(tmp_path / "cache"))
    runs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        import json
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert runs[0]["compiled"] == 3 and runs[0]["disk_hits"] == 0
    assert runs[1]["compiled"] == 0 and runs[1]["disk_hits"] == 3
    for run in runs:
        assert run["d"] == [1.875, 3.75, None] and run["e"] == [2.0, 3.0, None] and run["f"] == [3.0, 6.0, None]


# -- parallel engine threads ----------------------------------------------------------------
def bumpy(value, key):
    acc = 0
    for i in range(key % 7):
        acc += i
    return value * 2.0 + acc if key % 3 else value - acc


def test_engine_threads_call_compiled_udfs_in_parallel_with_results_of_one_thread(duck):
    rng = np.random.default_rng(11)
    rows = 600_000
    table = pa.table({"value": rng.normal(size=rows), "key": rng.integers(0, 1_000, size=rows)})
    # Many morsels (the in-memory source cuts 64K-row slices), so 4 workers share them.
    stream = sabot.from_arrow(table).with_columns(b=bumpy).filter(lambda b, value: b > value)
    one = stream.collect(threads=1)
    four = stream.collect(threads=4)
    assert one.num_rows > 0
    assert four.equals(one)
    m = "(key % 7)"
    want = _duck(duck, table, f"SELECT value, key, CASE WHEN key % 3 <> 0 THEN value * 2 + {m} * ({m} - 1) / 2 "
                              f"ELSE value - {m} * ({m} - 1) / 2 END AS b FROM t")
    want = want.filter(pc.greater(want["b"], want["value"]))
    assert_same_rows(one, want)
    assert ": njit (" in _udf_lines(stream)[0]


def test_compiled_udfs_run_while_python_holds_the_gil():
    import ctypes

    from sabot import _core

    rows = 20 * 65_536
    table = pa.table({"value": np.arange(rows, dtype=np.float64), "key": np.arange(rows) % 1_000})
    stream = sabot.from_arrow(table).with_columns(b=bumpy)
    # Start binds the plan (compiling the UDF) and leaves the engine thread running.
    running = _core.start(stream._s, queue_batches=64)
    try:
        # libc's usleep through PyDLL keeps the GIL for the whole half second: only code
        # that never takes the GIL makes progress meanwhile.
        ctypes.PyDLL(None).usleep(500_000)
        batches, state = 0, 0
        while True:
            state, _ = running.next(0)  # never waits: counts what was ready
            if state != 0:
                break
            batches += 1
        assert batches == 20 and state == 2, (batches, state)
    finally:
        running.close()


# -- errors -------------------------------------------------------------------------------
def ratio(x, y):
    scaled = x * 2
    return scaled // y  # y == 0 raises ZeroDivisionError


def test_an_exception_in_compiled_code_names_the_udf_its_line_and_row():
    table = pa.table({"x": pa.array([4, 6, 8], pa.int64()), "y": pa.array([2, 0, 1], pa.int64())})
    stream = sabot.from_arrow(table).with_columns(r=ratio)
    with pytest.raises(ZeroDivisionError) as info:
        stream.collect()
    text = "".join(traceback.format_exception(info.value))
    assert "return scaled // y" in text  # the UDF's own source line
    notes = " ".join(getattr(info.value, "__notes__", []))
    assert "in UDF ratio" in notes and "test_python_udfs.py:" in notes and "row 1" in notes and "y=0" in notes
    assert ": njit (" in _udf_lines(stream)[0]  # it did run compiled


def test_an_exception_in_interpreted_code_names_the_udf_and_row():
    @sabot.udf(strategy="interpreted", returns="string")
    def concat(k):
        return "n" + k  # TypeError: str + int

    with pytest.raises(TypeError) as info:
        sabot.from_arrow(pa.table({"k": [1, 2]})).with_columns(c=concat).collect()
    text = "".join(traceback.format_exception(info.value))
    assert 'return "n" + k' in text
    notes = " ".join(getattr(info.value, "__notes__", []))
    assert "in UDF" in notes and "concat" in notes and "row 0" in notes and "k=1" in notes


def test_an_exception_while_learning_the_result_type_says_how_to_avoid_it():
    def concat(k):
        return {"a": 1}["n" + k]  # not compiled (dict), and the probe fails

    with pytest.warns(sabot.UdfWarning):
        with pytest.raises(TypeError) as info:
            sabot.from_arrow(pa.table({"k": [1, 2]})).with_columns(c=concat).collect()
    notes = " ".join(getattr(info.value, "__notes__", []))
    assert "concat" in notes and "returns=" in notes


def every_other(x):
    return np.asarray(x)[::2] * 1.0  # array code that returns half as many values as rows


def test_array_code_returning_the_wrong_length_is_a_clear_error():
    with pytest.raises(sabot.SabotError, match=r"every_other .* returned a different number of values than the 4 rows"):
        sabot.from_arrow(pa.table({"x": [1.0, 2.0, 3.0, 4.0]})).with_columns(h=every_other).collect()


def test_numba_jitted_functions_and_non_functions():
    import numba

    jitted = numba.njit(lambda k: k * 3)
    got = sabot.from_arrow(pa.table({"k": [1, 2]})).with_columns(t=jitted).collect()
    assert got["t"].to_pylist() == [3, 6]
    with pytest.raises(TypeError, match="must be a Python function"):
        sabot.from_arrow(pa.table({"k": [1, 2]})).with_columns(t=abs)


def test_a_result_of_the_wrong_type_names_the_udf():
    @sabot.udf(returns="float64")
    def label(k):
        return "big" if k > 1 else "small"

    with pytest.warns(sabot.UdfWarning, match="label"):
        with pytest.raises(TypeError, match=r"UDF .*label .* returned str values where its result type is double"):
            sabot.from_arrow(pa.table({"k": [1, 2]})).with_columns(t=label).collect()


def test_a_udf_over_a_missing_column_is_a_clear_error():
    with pytest.raises(sabot.SabotError, match="column 'nope' does not exist"):
        sabot.from_arrow(_numbers(10)).with_columns(z=lambda nope: nope + 1).collect()


def test_a_udf_with_star_args_is_rejected():
    with pytest.raises(TypeError, match=r"\*cols"):
        sabot.from_arrow(_numbers(10)).with_columns(z=lambda *cols: 1)


def test_an_unknown_strategy_is_rejected():
    with pytest.raises(ValueError, match="strategy must be one of"):
        sabot.from_arrow(_numbers(10)).with_columns(z=sabot.udf(lambda x: x, strategy="gpu"))


def test_math_module_compiles():
    table = _numbers(500)
    got = sabot.from_arrow(table).with_columns(e=lambda y: math.exp(y) - math.floor(y)).collect()
    want = pc.subtract(pc.exp(table["y"]), pc.floor(table["y"]))
    np.testing.assert_allclose(got["e"].to_numpy(), want.to_numpy())


# -- the example job ----------------------------------------------------------------------
@pytest.mark.parametrize("how", ["python", "sabot run"])
def test_udf_example_runs_and_matches_duckdb(how, duck, repo_root, trips_csv, udf_cache):
    from sabot_test_support import subprocess_env

    path = repo_root / "examples" / "python_udfs.py"
    cmd = [sys.executable, str(path)] if how == "python" else [sys.executable, "-m", "sabot", "run", str(path)]
    env = dict(subprocess_env(), SABOT_UDF_CACHE_DIR=str(udf_cache))
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    rows = duck.sql(f"""
        SELECT zone, count(*) AS n,
               avg(CASE WHEN distance_km <= 0 THEN 0 ELSE fare / distance_km END) AS per_km,
               avg(CASE WHEN tip IS NULL OR fare <= 0 THEN 0 ELSE round(tip / fare * 100, 1) END) AS tip
        FROM read_csv('{trips_csv}') WHERE starts_with(zone, 'W')
        GROUP BY zone ORDER BY n DESC LIMIT 3""").fetchall()
    want = [f"{z}: {n} trips, {per_km:.2f}/km, tip {tip:.1f}%" for z, n, per_km, tip in rows]
    assert want and proc.stdout.strip().splitlines()[-len(want):] == want
    assert proc.stdout.count("udf udf_") == 4 and "interpreted" not in proc.stdout
