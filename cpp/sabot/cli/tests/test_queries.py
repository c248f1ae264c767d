"""Plans over every input format, checked against DuckDB running the same SQL on the same files."""
import re

import duckdb
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from e2e_util import assert_tables_equal, call, col, lit, sink_file

INPUTS = ["csv", "jsonl", "ipc", "ipc_stream", "parquet", "csv_glob", "jsonl_glob", "parquet_glob"]


def named(**columns):
    return [{"name": name, "expr": expr} for name, expr in columns.items()]


def q_filter(src):
    # f > 60 AND (b OR k < 0): Kleene logic, so a null b with k < 0 passes.
    pred = call("and_kleene", call("greater", col("f"), lit(60.0, "float64")),
                call("or_kleene", col("b"), call("less", col("k"), lit(0, "int64"))))
    return {"op": "filter", "predicate": pred, "input": src}


def q_project(src):
    return {"op": "project", "input": src, "columns": named(
        id=col("id"),
        k2=call("add", call("multiply", col("k"), lit(3, "int64")), lit(7, "int64")),
        half=call("divide", col("f"), lit(2.0, "float64")),
        fk=call("subtract", col("f"), call("cast", col("k"), to="float64")),
        ge=call("greater_equal", col("f"), lit(50.0, "float64")),
        logic=call("or_kleene", call("and_kleene", col("b"), call("greater", col("k"), lit(0, "int64"))),
                   call("is_null", col("f"))),
        nb=call("invert", col("b")),
        kstr=call("cast", col("k"), to="string"),
        bint=call("cast", col("b"), to="int64"),
        fnull=call("is_null", col("f")),
        sel=call("if_else", col("b"), col("k"), call("negate", col("k"))),
        up=call("utf8_upper", col("s")),
        len=call("utf8_length", col("s")),
        sw=call("starts_with", col("s"), pattern="al"),
        yr=call("year", col("ts")),
        hr=call("hour", col("ts")),
        dyr=call("year", col("d")),
    )}


SQL_PROJECT = """
SELECT id, k * 3 + 7 AS k2, f / 2.0 AS half, f - CAST(k AS DOUBLE) AS fk, f >= 50.0 AS ge,
       (b AND k > 0) OR f IS NULL AS logic, NOT b AS nb, CAST(k AS VARCHAR) AS kstr,
       CAST(b AS BIGINT) AS bint, f IS NULL AS fnull,
       CASE WHEN b IS NULL THEN NULL WHEN b THEN k ELSE -k END AS sel,
       upper(s) AS up, length(s) AS len, starts_with(s, 'al') AS sw,
       year(ts) AS yr, hour(ts) AS hr, year(d) AS dyr
FROM {t}"""


def q_with_columns(src):
    # Replaces `k` in place and appends `rev`.
    return {"op": "with_columns", "input": src, "columns": named(
        k=call("abs", col("k")),
        rev=call("multiply", col("f"), call("cast", col("k"), to="float64")),
    )}


def q_rename(src):
    renamed = {"op": "rename", "input": src,
               "renames": [{"from": "id", "to": "row_id"}, {"from": "s", "to": "name"}]}
    return {"op": "filter", "input": renamed,
            "predicate": call("greater", col("row_id"), lit(12000, "int64"))}


def q_limit(src):
    return {"op": "limit", "count": 250, "offset": 6950, "input": src}


def q_filter_limit(src):
    filtered = {"op": "filter", "input": src,
                "predicate": call("is_valid", col("s"))}
    return {"op": "limit", "count": 40, "offset": 3, "input": filtered}


def q_explode_split(src):
    split = {"op": "with_columns", "input": src,
             "columns": named(tag=call("split_pattern", col("tags"), pattern=";"))}
    exploded = {"op": "explode", "column": "tag", "input": split}
    return {"op": "project", "input": exploded, "columns": named(id=col("id"), tag=col("tag"))}


COLS = "id, k, f, s, b, ts, d, tags"
QUERIES = {
    # name: (plan builder, DuckDB SQL over {t}, ordered comparison)
    "filter": (q_filter, f"SELECT {COLS} FROM {{t}} WHERE f > 60 AND (b OR k < 0)", False),
    "project": (q_project, SQL_PROJECT, False),
    "with_columns": (q_with_columns,
                     "SELECT id, abs(k) AS k, f, s, b, ts, d, tags, f * CAST(k AS DOUBLE) AS rev FROM {t}",
                     False),
    "rename": (q_rename,
               "SELECT id AS row_id, k, f, s AS name, b, ts, d, tags FROM {t} WHERE id > 12000", False),
    # One source keeps its order (files of a glob in name order), so limit is deterministic.
    "limit": (q_limit, f"SELECT {COLS} FROM {{t}} LIMIT 250 OFFSET 6950", True),
    "filter_limit": (q_filter_limit, f"SELECT {COLS} FROM {{t}} WHERE s IS NOT NULL LIMIT 40 OFFSET 3",
                     True),
    "explode_split": (q_explode_split,
                      "SELECT id, unnest(string_split(tags, ';')) AS tag FROM {t}", False),
}


def duckdb_table(data, kind, sql):
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    return con.sql(sql.format(t=data.duckdb_relation(con, kind))).to_arrow_table()


@pytest.mark.parametrize("query", list(QUERIES))
@pytest.mark.parametrize("kind", INPUTS)
def test_query_matches_duckdb(runner, data, tmp_path, kind, query):
    build, sql, ordered = QUERIES[query]
    out = tmp_path / "out.parquet"
    runner.run_ok(sink_file(build(data.source_node(kind)), out))
    expected = duckdb_table(data, kind, sql)
    assert expected.num_rows > 0
    assert_tables_equal(pq.read_table(out), expected, ordered=ordered)


@pytest.mark.parametrize("kind", ["ipc", "ipc_stream", "parquet"])
def test_explode_list_column(runner, data, tmp_path, kind):
    src = data.source_node(kind, columns=["id", "nums"])
    exploded = {"op": "explode", "column": "nums", "input": src}
    out = tmp_path / "out.parquet"
    runner.run_ok(sink_file(exploded, out))
    expected = duckdb_table(data, kind, "SELECT id, unnest(nums) AS nums FROM {t}")
    assert_tables_equal(pq.read_table(out), expected)


@pytest.mark.parametrize("left,right", [("csv", "parquet"), ("jsonl", "ipc"),
                                        ("ipc_stream", "parquet_glob")])
def test_union_of_two_formats(runner, data, tmp_path, left, right):
    # CSV infers timestamp[ns]; union inputs must agree, so both sides cast ts.
    def side(kind, pred):
        src = data.source_node(kind, columns=["id", "k", "f", "s", "ts"])
        projected = {"op": "with_columns", "input": src,
                     "columns": named(ts=call("cast", col("ts"), to="timestamp[us]"))}
        return {"op": "filter", "input": projected, "predicate": pred}

    plan = {"op": "union", "inputs": [
        side(left, call("less", col("k"), lit(0, "int64"))),
        side(right, call("greater", col("f"), lit(70.0, "float64"))),
    ]}
    out = tmp_path / "out.parquet"
    runner.run_ok(sink_file(plan, out))
    con = duckdb.connect()
    sql = (f"SELECT id, k, f, s, ts FROM {data.duckdb_relation(con, left)} WHERE k < 0 UNION ALL "
           f"SELECT id, k, f, s, ts FROM {data.duckdb_relation(con, right)} WHERE f > 70")
    assert_tables_equal(pq.read_table(out), con.sql(sql).to_arrow_table())


def test_csv_delimiter_without_header(runner, data, tmp_path):
    # Columns of a header-less file are named f0, f1, ...
    path = tmp_path / "semicolons.csv"
    table = data.table.select(["id", "k", "f"])
    pacsv.write_csv(table, path, pacsv.WriteOptions(include_header=False, delimiter=";"))
    src = {"op": "source", "format": "csv", "path": str(path), "csv": {"delimiter": ";", "header": False}}
    plan = {"op": "filter", "input": src, "predicate": call("less", col("f1"), lit(-500, "int64"))}
    out = tmp_path / "out.parquet"
    runner.run_ok(sink_file(plan, out))
    found = pq.read_table(out)
    assert found.column_names == ["f0", "f1", "f2"]
    expected = duckdb.connect().sql(
        f"SELECT * FROM read_csv('{path}', delim=';', header=false, "
        "columns={'f0': 'BIGINT', 'f1': 'BIGINT', 'f2': 'DOUBLE'}) WHERE f1 < -500").to_arrow_table()
    assert_tables_equal(found, expected)


def test_literal_columns_are_broadcast(runner, data, tmp_path):
    plan = {"op": "project", "input": data.source_node("parquet", columns=["id"]),
            "columns": named(id=col("id"), one=lit(1, "int64"), label=lit("x", "string"),
                             nothing=lit(None, "float64"))}
    out = tmp_path / "out.parquet"
    runner.run_ok(sink_file(plan, out))
    found = pq.read_table(out)
    assert found.num_rows == data.table.num_rows
    assert set(found["one"].to_pylist()) == {1} and set(found["label"].to_pylist()) == {"x"}
    assert found["nothing"].null_count == found.num_rows


def test_limit_stops_reading_early(runner, data):
    plan = {"op": "sink", "kind": "count",
            "input": {"op": "limit", "count": 10, "input": data.source_node("parquet")}}
    _, err = runner.run_ok(plan, "--stats")
    read = int(re.search(r"read (\d+) rows", err).group(1))
    assert "wrote 10 rows" in err and read < data.table.num_rows, err


def test_overwriting_the_input_file(runner, data, tmp_path):
    # The sink writes a temporary and renames it at the end, so a job may replace its input.
    path = tmp_path / "data.parquet"
    path.write_bytes(data.files["parquet"].read_bytes())
    plan = {"op": "filter", "input": {"op": "source", "format": "parquet", "path": str(path)},
            "predicate": call("less", col("id"), lit(1000, "int64"))}
    runner.run_ok(sink_file(plan, path))
    assert pq.read_table(path)["id"].to_pylist() == list(range(1000))
