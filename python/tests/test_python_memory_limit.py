"""sabot.set_memory_limit: jobs started from Python spill past the budget, or fail clearly."""
import numpy as np
import pyarrow as pa
import pytest

import sabot
from sabot import agg


@pytest.fixture
def memory_limit():
    yield sabot.set_memory_limit
    sabot.set_memory_limit(None)


def _table(rows=200_000, groups=50_000, seed=5):
    rng = np.random.default_rng(seed)
    return pa.table({"k": rng.integers(0, groups, rows), "v": rng.integers(-1000, 1000, rows)})


def test_spilling_gives_the_same_result(memory_limit, duck):
    table = _table()
    query = lambda: (sabot.from_arrow(table).group_by("k").agg(s=agg.sum("v"), n=agg.count())  # noqa: E731
                     .sort("k").collect())
    unlimited = query()
    memory_limit("256KB")
    limited = query()
    assert limited.equals(unlimited)
    duck.register("t", table)
    want = duck.sql("SELECT k, sum(v)::BIGINT AS s, count(*) AS n FROM t GROUP BY k ORDER BY k").arrow()
    assert limited.to_pylist() == pa.table(want).to_pylist()


def test_without_spilling_the_budget_is_a_clear_error(memory_limit):
    memory_limit(256 * 1024, spill=False)
    with pytest.raises(sabot.SabotError, match="budget of 256.0 KiB.*Spilling is disabled"):
        sabot.from_arrow(_table()).group_by("k").agg(s=agg.sum("v")).count()


def test_bad_sizes_are_refused():
    with pytest.raises(sabot.SabotError, match="12XB"):
        sabot.set_memory_limit("12XB")
    with pytest.raises(ValueError):
        sabot.set_memory_limit(-5)
