"""The Java port of Sabot's Nexmark generator (bench/nexmark-flink) yields exactly Sabot's
events: row by row over the first events, and by column checksums over millions. Run by
make bench-nexmark before timing (not by make test: it needs a JVM and Maven)."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pytest

import nexmark_flink
import sabot

START_US = 1_700_000_000_000_000  # Sabot's default start_time_us, the Java side's too

pytestmark = pytest.mark.skipif(not nexmark_flink.available(), reason="java or mvn missing")


@pytest.mark.parametrize("seed", [7, 2**63 + 5])
def test_rows_are_sabots(tmp_path, seed):
    events = 200_003  # not a multiple of 50: a partial last run of kinds
    nexmark_flink.run("dump", events=events, seed=seed, dir=tmp_path)
    for table in ("person", "auction", "bid"):
        want = sabot.nexmark(table, events=events, seed=seed).collect()
        # Timestamps travel as microseconds; every other column as its own type.
        types = {f.name: pa.int64() if pa.types.is_timestamp(f.type) else f.type for f in want.schema}
        got = pcsv.read_csv(tmp_path / f"{table}.csv", convert_options=pcsv.ConvertOptions(column_types=types))
        got = got.cast(want.schema)
        assert got.num_rows == want.num_rows, table
        for name in want.column_names:
            assert got.column(name).equals(want.column(name)), f"{table}.{name} differs"


@pytest.mark.parametrize("seed,events", [(0, 5_000_037), (12345, 5_000_037), (3, 1), (3, 2), (3, 4), (3, 53)])
def test_column_checksums_are_sabots(seed, events):
    got = nexmark_flink.checksums(events, seed)
    for table, sums in got.items():
        t = sabot.nexmark(table, events=events, seed=seed).collect()
        want = {"rows": t.num_rows}
        chars = 0
        for f in t.schema:
            column = t.column(f.name)
            if pa.types.is_string(f.type):
                chars += pc.sum(pc.utf8_length(column)).as_py() or 0
            elif pa.types.is_timestamp(f.type):
                want[f.name] = pc.sum(pc.subtract(column.cast(pa.int64()), START_US)).as_py() or 0
            else:
                want[f.name] = pc.sum(column).as_py() or 0  # an empty table sums to null
        want["string_chars"] = chars
        assert sums == want, table
