"""Sabot: one engine for batch and streaming data, on Apache Arrow.

    import sabot
    from sabot import col

    trips = sabot.read_csv("trips.csv")
    long_trips = (trips.filter((col("distance_km") > 5) & col("tip").is_valid())
                       .with_columns(fare_per_km=col("fare") / col("distance_km"))
                       .select("trip_id", "fare_per_km"))
    for batch in long_trips:          # pyarrow.RecordBatch, computed by the C++ engine
        print(batch.num_rows)
    long_trips.write_parquet("long_trips.parquet")

Streams are lazy plans run by the engine; ``for`` iterates a bounded one, ``async for``
any one, including endless sources such as ``sabot.generate(rows=None)``.
"""
from __future__ import annotations

import os as _os
from os import PathLike
from typing import Any, Sequence

# Arrow's allocator (mimalloc) hands freed memory back to the OS 10 ms after a free, and
# the next batches fault it in again, zeroing 2 MiB huge pages: up to a quarter of a
# stateless query's CPU time went to that. Keeping freed memory 1 s makes batch churn
# fault-free (batches are reused within milliseconds). 10 s did too, but then every
# worker kept what earlier queries freed: over the 22 TPC-H queries at SF1 the peak
# resident set was 455 MiB against 375 MiB with 1 s, at the same CPU time (Nexmark q0
# and q16 too). mimalloc reads this when the Arrow libraries load, so it takes effect
# when sabot is imported before pyarrow; a value already set wins.
_os.environ.setdefault("MIMALLOC_PURGE_DELAY", "1000")
# mimalloc 3 (Arrow 26) asks for transparent huge pages on its 1 GiB arenas, and every
# worker thread takes its pages from its own parts of them: one 64 KiB page touched made
# a 2 MiB huge page resident and zeroed. On 16 threads a TPC-H Q6 at SF1 (62 MiB of live
# buffers) grew the resident set by 287 MiB, 242 of them huge pages; without them by 163
# (Q1 579 -> 430 MiB, Q9 644 -> 442), at the same CPU time on 2 threads. mimalloc applies
# it with prctl(PR_SET_THP_DISABLE), which covers the whole process, not only its arenas.
_os.environ.setdefault("MIMALLOC_ALLOW_THP", "0")

import pyarrow as pa  # noqa: E402  (loads the Arrow C++ libraries the extension links against)

from . import _core, agg
from .changelog import materialize
from .expr import Expr, call, col, lit
from .stream import SabotError, Stream, set_memory_limit, set_ordered, set_threads
from .user_functions import UdfWarning, clear_udf_memory_cache, udf, udf_cache_info

__version__: str = _core.__version__

__all__ = ["Stream", "Expr", "agg", "SabotError", "col", "lit", "call", "read_csv", "read_json", "read_ipc",
           "read_parquet", "generate", "nexmark", "from_arrow", "set_memory_limit", "set_ordered", "set_threads", "materialize", "udf", "UdfWarning",
           "udf_cache_info", "clear_udf_memory_cache", "__version__"]


def _schema_capsule(schema: pa.Schema | None) -> Any:
    return None if schema is None else schema.__arrow_c_schema__()


def read_csv(path: str | PathLike, *, schema: pa.Schema | None = None, columns: Sequence[str] | None = None,
             delimiter: str = ",", header: bool = True) -> Stream:
    """A CSV file, folder of files or glob. Types are inferred unless ``schema`` is given;
    an empty unquoted field is null. Errors name the file and line."""
    return Stream(_core.read_file("csv", str(path), _schema_capsule(schema), list(columns or []), delimiter, header))


def read_json(path: str | PathLike, *, schema: pa.Schema | None = None,
              columns: Sequence[str] | None = None) -> Stream:
    """JSON lines (one object per line)."""
    return Stream(_core.read_file("jsonl", str(path), _schema_capsule(schema), list(columns or []), ",", True))


def read_ipc(path: str | PathLike, *, stream: bool = False, columns: Sequence[str] | None = None) -> Stream:
    """Arrow IPC: the file format (Feather v2), or the streaming format with ``stream=True``."""
    return Stream(_core.read_file("ipc_stream" if stream else "ipc", str(path), None, list(columns or []), ",", True))


def read_parquet(path: str | PathLike, *, columns: Sequence[str] | None = None) -> Stream:
    """Parquet; only ``columns`` are read when given. Row groups are the units of work."""
    return Stream(_core.read_file("parquet", str(path), None, list(columns or []), ",", True))


def generate(rows: int | None = 1_000_000, *, batch_size: int = 65_536, rows_per_second: float = 0,
             seed: int = 42, num_keys: int = 1_000, start_time_us: int = 1_700_000_000_000_000,
             time_step_us: int = 1_000, max_out_of_orderness_us: int = 0, idle_timeout: Any = None) -> Stream:
    """Deterministic synthetic rows: id, key, value, category, ts (event time, with
    watermarks). ``rows=None`` never ends (iterate with ``async for`` or add ``limit``).
    ``idle_timeout``: see ``Stream.idle_timeout``."""
    stream = Stream(_core.generate(-1 if rows is None else rows, batch_size, rows_per_second, seed, num_keys,
                                   start_time_us, time_step_us, max_out_of_orderness_us))
    return stream if idle_timeout is None else stream.idle_timeout(idle_timeout)


def nexmark(table: str = "bid", *, events: int | None = 10_000_000, batch_size: int = 65_536, seed: int = 0,
            events_per_second: int = 10_000, start_time_us: int = 1_700_000_000_000_000) -> Stream:
    """One table ("person", "auction" or "bid") of the Nexmark benchmark's auction events:
    ``events`` events of all three kinds (1:3:46), numbered in event-time order, with
    watermarks; ``events=None`` never ends. Same seed and events, same rows, so the three
    tables of one run form one consistent event stream."""
    return Stream(_core.nexmark(table, -1 if events is None else events, batch_size, seed, events_per_second,
                                start_time_us))


def from_arrow(data: Any, *, name: str = "table", event_time: str | None = None,
               max_out_of_orderness: Any = 0) -> Stream:
    """Anything speaking the Arrow PyCapsule protocol: pyarrow tables, batches and readers,
    polars and pandas (through pyarrow) frames, duckdb relations. No copy is made.
    With ``event_time`` (a timestamp column), each batch is followed by the watermark
    max(event time so far) - ``max_out_of_orderness`` (a ``timedelta`` or microseconds),
    so event-time windows and joins close as they would on a live stream."""
    from sabot.stream import _micros

    args = (name, event_time or "", _micros(max_out_of_orderness))
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if hasattr(data, "__arrow_c_stream__"):
        return Stream(_core.from_stream_capsule(data.__arrow_c_stream__(), *args))
    if hasattr(data, "__arrow_c_array__"):
        return Stream(_core.from_stream_capsule(pa.table(pa.record_batch(data)).__arrow_c_stream__(), *args))
    if type(data).__module__.startswith("pandas"):
        return from_arrow(pa.Table.from_pandas(data, preserve_index=False), name=name, event_time=event_time,
                          max_out_of_orderness=max_out_of_orderness)
    raise TypeError(f"from_arrow() needs an object with __arrow_c_stream__ or __arrow_c_array__, "
                    f"not {type(data).__name__}")
