"""sabot.set_threads: jobs started from Python run on worker threads where the plan's
shape allows it, with the same answers as on one thread."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sabot
from sabot import agg, col


@pytest.fixture(autouse=True)
def one_thread_after():
    yield
    sabot.set_threads(1)


@pytest.fixture(scope="module")
def facts(tmp_path_factory) -> str:
    rng = np.random.default_rng(5)
    n = 400_000
    path = tmp_path_factory.mktemp("threads") / "facts.parquet"
    pq.write_table(pa.table({"k": rng.integers(0, 1000, n), "v": rng.integers(0, 100, n)}), path,
                   row_group_size=50_000)  # eight row groups: work for several threads
    return str(path)


def answer(facts: str) -> pa.Table:
    dims = sabot.from_arrow(pa.table({"id": np.arange(0, 1000, 2), "group": np.arange(500) % 7}))
    return (sabot.read_parquet(facts).filter(col("v") < 90)
            .join(dims, left_on="k", right_on="id")
            .group_by("group").agg(n=agg.count(), total=agg.sum("v"))
            .sort("group").collect())


def test_join_and_aggregate_agree_on_one_and_two_threads(facts):
    one = answer(facts)
    sabot.set_threads(2)
    two = answer(facts)
    assert one.num_rows == 7
    assert two.equals(one)
    assert sabot.read_parquet(facts).filter(col("v") < 90).count() == int((pq.read_table(facts)["v"].to_numpy() < 90).sum())


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_threads_must_be_a_positive_whole_number(bad):
    with pytest.raises(ValueError, match="threads must be a whole number of at least 1"):
        sabot.set_threads(bad)
