"""A bounded job from Python: long taxi trips with a tip, a few computed columns.

    .venv/bin/python examples/python_bounded.py
    .venv/bin/python -m sabot run examples/python_bounded.py

Reads examples/data/trips.csv, prints each batch as the engine produces it, writes the
result to Parquet in a temporary folder and prints it back as a table.
"""
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

import sabot
from sabot import col

TRIPS = Path(__file__).resolve().parent / "data" / "trips.csv"


def main() -> None:
    long_trips = (
        sabot.read_csv(TRIPS)
        .filter((col("distance_km") > 5) & col("tip").is_valid())
        .with_columns(
            fare_per_km=sabot.call("round", col("fare") / col("distance_km"), ndigits=2),
            tip_pct=sabot.call("round", col("tip") / col("fare") * 100, ndigits=1),
            zone=sabot.call("utf8_upper", col("zone")),
        )
        .select("trip_id", "zone", "distance_km", "fare_per_km", "tip_pct")
    )
    print(long_trips.explain())

    for batch in long_trips:  # pyarrow.RecordBatch es, computed by the C++ engine
        print(f"batch: {batch.num_rows} rows, columns {batch.schema.names}")

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "long_trips.parquet"
        rows = long_trips.write_parquet(out)
        print(f"wrote {rows} rows to {out.name}")
        table = pq.read_table(out)
    print(format_table(table, max_rows=10))
    print(f"{table.num_rows} long trips with a tip")


def format_table(table, max_rows: int) -> str:
    """The first rows as an aligned text table."""
    rows = [[str(v) for v in row.values()] for row in table.slice(0, max_rows).to_pylist()]
    widths = [max(len(name), *(len(r[i]) for r in rows)) for i, name in enumerate(table.column_names)]
    lines = ["  ".join(n.rjust(w) for n, w in zip(table.column_names, widths))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
