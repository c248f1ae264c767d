"""Transformations give the same rows as DuckDB running the same query on the same input."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import sabot
from sabot import col, lit
from sabot_test_support import assert_same_rows


def duck_csv(duck, path, sql):
    duck.execute(f"CREATE OR REPLACE VIEW t AS SELECT * FROM read_csv_auto('{path}')")
    return duck.sql(sql).to_arrow_table()


def duck_table(duck, table, sql):
    duck.register("t", table)
    return duck.sql(sql).to_arrow_table()


def test_filter_on_csv(duck, trips_csv):
    got = sabot.read_csv(trips_csv).filter((col("distance_km") > 5) & col("tip").is_valid()).collect()
    want = duck_csv(duck, trips_csv, "SELECT * FROM t WHERE distance_km > 5 AND tip IS NOT NULL")
    assert got.num_rows > 0
    assert_same_rows(got, want)


def test_filter_null_is_not_true(duck, sample_table):
    got = sabot.from_arrow(sample_table).filter(col("price") > 50).collect()
    want = duck_table(duck, sample_table, "SELECT * FROM t WHERE price > 50")
    assert_same_rows(got, want)


def test_filter_or_not_strings(duck, sample_table):
    pred = ((col("category") == "alpha") | ~col("flag")) & (col("qty") <= 10)
    got = sabot.from_arrow(sample_table).filter(pred).collect()
    want = duck_table(duck, sample_table,
                      "SELECT * FROM t WHERE (category = 'alpha' OR NOT flag) AND qty <= 10")
    assert_same_rows(got, want)


def test_select_and_computed_columns(duck, trips_csv):
    got = (sabot.read_csv(trips_csv)
           .select("trip_id", "zone", fare_per_km=col("fare") / col("distance_km"),
                   total=col("fare") + col("tip"), upper=sabot.call("utf8_upper", col("zone")))
           .collect())
    want = duck_csv(duck, trips_csv, "SELECT trip_id, zone, fare / distance_km AS fare_per_km, "
                                     "fare + tip AS total, upper(zone) AS upper FROM t")
    assert_same_rows(got, want)


def test_with_columns_adds_and_replaces(duck, sample_table):
    got = (sabot.from_arrow(sample_table)
           .with_columns(revenue=col("price") * col("qty"), qty=col("qty") * 2,
                         big=(col("price") > 90).if_else("big", "small"))
           .collect())
    want = duck_table(duck, sample_table,
                      "SELECT id, qty * 2 AS qty, price, category, flag, ts, price * qty AS revenue, "
                      "CASE WHEN price > 90 THEN 'big' WHEN price IS NULL THEN NULL ELSE 'small' END AS big "
                      "FROM t")
    assert_same_rows(got, want)


def test_with_columns_cast_and_literal(duck, sample_table):
    got = (sabot.from_arrow(sample_table)
           .select("id", q32=col("qty").cast("int32"), one=lit(1), s=col("id").cast("string"))
           .collect())
    assert got.schema.field("q32").type == pa.int32()
    want = duck_table(duck, sample_table,
                      "SELECT id, CAST(qty AS INTEGER) AS q32, 1::BIGINT AS one, CAST(id AS VARCHAR) AS s FROM t")
    assert_same_rows(got, want)


def test_rename(duck, trips_csv):
    got = sabot.read_csv(trips_csv).rename({"zone": "borough", "tip": "gratuity"}).collect()
    want = duck_csv(duck, trips_csv, "SELECT trip_id, pickup_time, zone AS borough, passengers, "
                                     "distance_km, fare, tip AS gratuity FROM t")
    assert_same_rows(got, want)


def test_union_all(duck, sample_table, trips_csv):
    a = sabot.from_arrow(sample_table).filter(col("qty") < 5).select("id", "category")
    b = sabot.from_arrow(sample_table).filter(col("qty") > 45).select("id", "category")
    c = sabot.from_arrow(sample_table).filter(col("qty") == 20).select("id", "category")
    got = a.union(b, c).collect()
    want = duck_table(duck, sample_table,
                      "SELECT id, category FROM t WHERE qty < 5 UNION ALL "
                      "SELECT id, category FROM t WHERE qty > 45 UNION ALL "
                      "SELECT id, category FROM t WHERE qty = 20")
    assert_same_rows(got, want)


def test_union_needs_same_columns(sample_table):
    a = sabot.from_arrow(sample_table).select("id")
    b = sabot.from_arrow(sample_table).select("category")
    with pytest.raises(sabot.SabotError, match="union"):
        a.union(b).collect()


def test_limit_and_offset_keep_source_order(duck, sample_table):
    got = sabot.from_arrow(sample_table).limit(17, offset=4_990).collect()
    want = duck_table(duck, sample_table, "SELECT * FROM t ORDER BY id LIMIT 17 OFFSET 4990")
    assert got.num_rows == 10
    assert got.equals(want.cast(got.schema))


def test_limit_across_batches(sample_table):
    got = sabot.from_arrow(sample_table).filter(col("qty") > 25).limit(1_234).collect()
    want = sample_table.filter(pc.greater(sample_table["qty"], 25)).slice(0, 1_234)
    assert got.equals(want)


def test_limit_bounds_an_unbounded_stream():
    s = sabot.generate(rows=None, batch_size=1_000).limit(2_500)
    assert s.is_bounded
    assert s.count() == 2_500
    assert sum(b.num_rows for b in s) == 2_500


def test_explode(duck):
    table = pa.table({"id": [1, 2, 3, 4], "xs": pa.array([[1, 2, 3], [], None, [7]], pa.list_(pa.int64()))})
    got = sabot.from_arrow(table).explode("xs").collect()
    want = duck_table(duck, table, "SELECT id, UNNEST(xs) AS xs FROM t")
    assert_same_rows(got, want)


def test_explode_of_split_strings(duck, trips_csv):
    got = (sabot.read_csv(trips_csv)
           .select("trip_id", parts=sabot.call("split_pattern", col("zone"), pattern=" "))
           .explode("parts").collect())
    want = duck_csv(duck, trips_csv, "SELECT trip_id, UNNEST(string_split(zone, ' ')) AS parts FROM t")
    assert_same_rows(got, want)


def test_map_batches(duck, sample_table):
    def add_revenue(batch: pa.RecordBatch) -> pa.RecordBatch:
        revenue = pc.multiply(batch["price"], batch["qty"])
        return batch.append_column("revenue", revenue).drop_columns(["ts", "flag"])

    got = sabot.from_arrow(sample_table).filter(col("qty") > 10).map_batches(add_revenue).collect()
    want = duck_table(duck, sample_table,
                      "SELECT id, qty, price, category, price * qty AS revenue FROM t WHERE qty > 10")
    assert_same_rows(got, want)


def test_map_batches_table_result_and_declared_schema(sample_table):
    schema = pa.schema([("id", pa.int64()), ("double_qty", pa.int64())])

    def double(batch):
        return pa.table({"id": batch["id"], "double_qty": pc.multiply(batch["qty"], 2)})

    got = sabot.from_arrow(sample_table).map_batches(double, schema=schema).collect()
    assert got.schema.equals(schema)
    assert got["double_qty"].to_pylist() == [2 * q for q in sample_table["qty"].to_pylist()]


def test_pipeline_of_everything_vs_duckdb(duck, trips_csv):
    got = (sabot.read_csv(trips_csv)
           .filter(col("passengers") >= 2)
           .with_columns(fare_per_km=col("fare") / col("distance_km"))
           .rename({"zone": "z"})
           .select("trip_id", "z", "fare_per_km")
           .filter(col("fare_per_km") < 3)
           .collect())
    want = duck_csv(duck, trips_csv, "SELECT trip_id, zone AS z, fare / distance_km AS fare_per_km FROM t "
                                     "WHERE passengers >= 2 AND fare / distance_km < 3")
    assert got.num_rows > 0
    assert_same_rows(got, want)


def test_generate_is_deterministic_and_bounded():
    a = sabot.generate(rows=10_000, batch_size=999, seed=7).collect()
    b = sabot.generate(rows=10_000, batch_size=999, seed=7).collect()
    assert a.num_rows == 10_000 and a.equals(b)
    assert a.column_names == ["id", "key", "value", "category", "ts"]
    assert a["id"].to_pylist() == list(range(10_000))
    assert max(len(batch) for batch in sabot.generate(rows=10_000, batch_size=999)) == 999


def _keyed(n, key, name, modulo, seed):
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, modulo, n)
    return pa.table({key: pa.array(keys, mask=rng.random(n) < 0.05), name: pa.array(np.arange(n))})


@pytest.mark.parametrize("how", ["semi", "anti", "right_semi", "right_anti"])
@pytest.mark.parametrize("where", [False, True])
def test_semi_and_anti_joins_of_either_side_match_duckdb(duck, how, where):
    # Null and duplicate keys on both sides; the right side is the larger, so the optimizer
    # builds the semi and anti joins on their left input (as right_semi / right_anti).
    small = _keyed(2_000, "k", "a", 3_000, 1)
    big = _keyed(50_000, "id", "b", 4_000, 2)
    duck.register("small", small)
    duck.register("big", big)
    stream = sabot.from_arrow(small, name="small").join(sabot.from_arrow(big, name="big"), left_on="k", right_on="id",
                                                        how=how, where=(col("a") < col("b")) if where else None)
    if how in ("semi", "anti"):
        assert f"right_{how}" in stream.explain()
    got = stream.collect()
    kept, other = ("small", "big") if how in ("semi", "anti") else ("big", "small")
    exists = "EXISTS" if how in ("semi", "right_semi") else "NOT EXISTS"
    condition = " AND small.a < big.b" if where else ""
    want = duck.sql(f"SELECT * FROM {kept} WHERE {exists} "
                    f"(SELECT 1 FROM {other} WHERE small.k = big.id{condition})").to_arrow_table()
    assert got.num_rows > 100
    assert_same_rows(got, want)
