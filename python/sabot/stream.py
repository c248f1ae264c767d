"""Stream: a lazily built plan over Arrow record batches, bounded or not.

Nothing runs until a result is asked for: iterating (``for batch in s`` for bounded
streams, ``async for batch in s`` for any), ``collect()``, or a ``write_*`` sink.
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import os
from typing import Any, AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence

import pyarrow as pa

from . import _core
from ._udf_registry import explain_lines, note_batch_function
from .expr import Expr, _to_expr

__all__ = ["Stream", "GroupBy", "WindowedGroupBy", "RowsWindow", "Agg", "SabotError", "set_memory_limit"]

SabotError = _core.SabotError

_BATCH, _PENDING, _END = 0, 1, 2


def _threads_from_env() -> int:
    text = os.environ.get("SABOT_THREADS", "")
    if not text:
        return 0
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"SABOT_THREADS must be a positive thread count, found {text!r}")
    return int(text)


class _JobSettings:
    """What jobs started from Python run with: the memory budget (see
    sabot.set_memory_limit), the worker threads (see sabot.set_threads) and whether
    output keeps source order (see sabot.set_ordered)."""

    limit = 0  # bytes; 0 is unlimited
    allow_spill = True
    threads = _threads_from_env()  # 0 is one per core
    # `sabot run --unordered job.py` asks for this through the environment.
    ordered = os.environ.get("SABOT_UNORDERED", "") in ("", "0")

    @classmethod
    def args(cls, threads: int | None = None) -> dict[str, Any]:
        """Keyword arguments of the _core run functions; `threads` overrides the setting."""
        if threads is not None:
            _check_threads(threads)
        return {"memory_limit": cls.limit, "allow_spill": cls.allow_spill,
                "threads": cls.threads if threads is None else threads, "ordered": cls.ordered}


def _check_threads(threads: Any) -> None:
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"threads must be a positive int or None, not {threads!r}")


def set_threads(threads: int | None) -> None:
    """Worker threads of each job started from Python; ``None`` is one per core (the
    default, or $SABOT_THREADS when set). Scans, filters, projections, join probes and
    partial aggregations run on them; results keep the order one thread gives."""
    if threads is None:
        _JobSettings.threads = _threads_from_env()
    else:
        _check_threads(threads)
        _JobSettings.threads = threads


def set_ordered(ordered: bool) -> None:
    """Whether results of jobs started from Python keep the order one thread gives (the
    default). ``set_ordered(False)``: scans, filters and projections on several threads
    hand on each morsel's rows as soon as they are ready, so a slow morsel holds none
    back; sorted and aggregated results are unaffected, and so is per-key order in
    streaming."""
    if not isinstance(ordered, bool):
        raise TypeError(f"set_ordered() takes True or False, not {ordered!r}")
    _JobSettings.ordered = ordered


def set_memory_limit(limit: int | str | None, *, spill: bool = True) -> None:
    """Caps the memory that joins, aggregations and sorts of each job may hold, e.g.
    ``set_memory_limit("2GB")``. Past it they spill to disk, or with ``spill=False``
    the job fails with an error that says so. ``None`` removes the cap."""
    if limit is None:
        _JobSettings.limit = 0
    elif isinstance(limit, str):
        _JobSettings.limit = _core.parse_byte_size(limit)
    elif isinstance(limit, int) and limit >= 0:
        _JobSettings.limit = limit
    else:
        raise ValueError(f"memory limit must be a size such as '512MB' or a byte count, not {limit!r}")
    _JobSettings.allow_spill = spill
# How long a blocking wait lasts before Python gets a chance to see Ctrl-C.
_WAIT_MS = 50


class Stream:
    """A plan that yields ``pyarrow.RecordBatch`` es."""

    __slots__ = ("_s",)

    def __init__(self, core: _core.Stream):
        self._s = core

    # -- transformations -----------------------------------------------------------
    def filter(self, predicate: Expr | Callable[..., bool]) -> "Stream":
        """Rows where ``predicate`` is true (null is not true). A Python function over
        named columns is a UDF (see ``sabot.udf``): ``filter(lambda fare, tip: tip > fare / 5)``."""
        return Stream(self._s.filter(_to_expr(predicate)._e))

    def select(self, *columns: str | Expr, **named: Any) -> "Stream":
        """Exactly these columns: names, or ``name=expression``."""
        items: list[tuple[str, Any]] = []
        for c in columns:
            if not isinstance(c, str):
                raise TypeError("select() takes column names; give expressions a name: select(total=col('a') + 1)")
            items.append((c, _core.col(c)))
        items += [(k, _to_expr(v)._e) for k, v in named.items()]
        return Stream(self._s.project(items))

    def with_columns(self, **named: Any) -> "Stream":
        """Adds columns, or replaces same-named ones in place: ``with_columns(total=col("a") * 2)``;
        a value may be a Python function over named columns (a UDF, see ``sabot.udf``)."""
        return Stream(self._s.with_columns([(k, _to_expr(v)._e) for k, v in named.items()]))

    def map(self, fn: Callable[..., Any], *, name: str | None = None) -> "Stream":
        """Adds (or replaces) the column ``name`` (default: the function's name) computed
        row by row by ``fn`` from the columns its parameters name: a UDF, compiled
        when it can be (see ``sabot.udf``)."""
        column = name or getattr(fn, "__name__", "")
        if not column.isidentifier() or column == "<lambda>":
            raise TypeError("map() of a lambda needs name=, the column it makes")
        return self.with_columns(**{column: fn})

    def rename(self, mapping: Mapping[str, str]) -> "Stream":
        return Stream(self._s.rename(list(mapping.items())))

    def union(self, *others: "Stream") -> "Stream":
        """All rows of this stream and the others (UNION ALL); same columns required."""
        s = self._s
        for o in others:
            s = s.union(o._s)
        return Stream(s)

    def limit(self, count: int, offset: int = 0) -> "Stream":
        """At most ``count`` rows after skipping ``offset``; ends an unbounded stream."""
        return Stream(self._s.limit(count, offset))

    def explode(self, column: str) -> "Stream":
        """One row per element of a list column."""
        return Stream(self._s.explode(column))

    def map_batches(self, fn: Callable[[pa.RecordBatch], Any], *, schema: pa.Schema | None = None,
                    name: str | None = None) -> "Stream":
        """Applies ``fn(pyarrow.RecordBatch) -> RecordBatch | Table`` to every batch, on
        engine threads (the GIL is taken only for the call). Without ``schema``, ``fn`` is
        called once on an empty batch to learn its output columns. An exception raised by
        ``fn`` reaches the caller unchanged, with a note naming the operator."""
        capsule = schema.__arrow_c_schema__() if schema is not None else None
        label = name or getattr(fn, "__qualname__", None) or repr(fn)
        note_batch_function(label, fn)
        return Stream(self._s.map_batches(fn, _invoke_udf, label, capsule))

    def join(self, other: "Stream", on: str | Sequence[str] | None = None, *, how: str = "inner",
             left_on: str | Sequence[str] | None = None, right_on: str | Sequence[str] | None = None,
             where: Expr | None = None, suffix: str = "_right", changelog: bool = False, state_ttl: Any = 0,
             time_column: str | None = None) -> "Stream":
        """Hash join on equal keys: ``how`` is inner, left, right, full, semi, anti,
        right_semi or right_anti. ``right_semi``/``right_anti`` keep the rows of ``other``
        (its columns only) that have / have not an equal-key row here: a semi/anti join with
        the sides swapped, whose hash table holds ``other``; the optimizer writes a semi or
        anti join with a much larger right side so by itself. ``where`` adds a condition
        over the joined columns (non-equi joins). Null keys never match, as in SQL. The
        right side is the one held in memory.

        Where the right side never ends (or the left never ends in a right or full join),
        or with ``changelog=True`` or a ``state_ttl``, it is a streaming join whose result
        is a changelog, as ``GroupBy.agg``'s: an ``op`` column first, then the joined
        columns. Both sides are held per key and every row joins as soon as it arrives. Inner
        joins only ``insert``; an outer row without a match is inserted padded with nulls
        and, at its first match, ``delete``-d for the joined rows; a semi join inserts a row
        at its first match, an anti join deletes it then. No ``where`` here. ``state_ttl`` (a duration of event time in
        ``time_column``, a timestamp column of both inputs) drops a held row once the
        watermark passes its time plus the TTL, without output: later rows of the other
        side no longer match it. ``sabot.materialize`` applies the changelog::

            orders.join(payments, on="order_id", how="left", state_ttl=timedelta(hours=1),
                        time_column="ts")
        """
        left_keys = _names(left_on if left_on is not None else on)
        right_keys = _names(right_on if right_on is not None else on)
        if not left_keys:
            raise TypeError("join() needs on= or left_on=/right_on=")
        ttl_us = _micros(state_ttl)
        if ttl_us < 0:
            raise ValueError(f"state_ttl must not be negative, got {state_ttl!r}")
        if ttl_us and not time_column:
            raise TypeError("state_ttl= needs time_column=, the event-time column of both inputs that ages a row")
        residual = _to_expr(where)._e if where is not None else None
        return Stream(self._s.join(other._s, how, left_keys, right_keys, residual, suffix, changelog, ttl_us,
                                   time_column or ""))

    def interval_join(self, other: "Stream", *, on: str | Sequence[str] | None = None,
                      left_on: str | Sequence[str] | None = None, right_on: str | Sequence[str] | None = None,
                      left_time: str, right_time: str | None = None, lower: Any, upper: Any,
                      suffix: str = "_right") -> "Stream":
        """Event-time inner join: rows with equal keys where ``other``'s time lies in
        [this row's time + ``lower``, this row's time + ``upper``] (ends included; offsets
        are ``timedelta`` or microseconds, negative ones reach into the past). Matches
        leave as soon as both rows arrived; watermarks let each side forget rows that can
        match nothing more, so endless streams join in bounded state::

            clicks.interval_join(views, on="user", left_time="ts",
                                 lower=timedelta(minutes=-5), upper=timedelta(0))
        """
        left_keys, right_keys = _names(left_on if on is None else on), _names(right_on if on is None else on)
        if not left_keys:
            raise TypeError("interval_join() needs on= or left_on=/right_on=")
        return Stream(self._s.interval_join(other._s, left_keys, right_keys, left_time, right_time or left_time,
                                            _micros(lower), _micros(upper), suffix))

    def asof_join(self, other: "Stream", *, on: str | Sequence[str] | None = None,
                  left_on: str | Sequence[str] | None = None, right_on: str | Sequence[str] | None = None,
                  left_time: str, right_time: str | None = None, tolerance: Any = None, how: str = "inner",
                  suffix: str = "_right") -> "Stream":
        """Event-time as-of join: each row meets the latest row of ``other`` with equal keys
        whose time is at or before its own (and at most ``tolerance`` before it, a
        ``timedelta`` or microseconds; ``None``: any distance). ``how`` is ``"inner"``
        (rows without a match are dropped) or ``"left"`` (kept, with nulls). A row leaves
        once ``other``'s watermark passes its time; ``other``'s rows are kept per key only
        as far back as later rows can still need them::

            trades.asof_join(quotes, on="symbol", left_time="ts", tolerance=timedelta(seconds=5))
        """
        left_keys, right_keys = _names(left_on if on is None else on), _names(right_on if on is None else on)
        if not left_keys:
            raise TypeError("asof_join() needs on= or left_on=/right_on=")
        return Stream(self._s.asof_join(other._s, how, left_keys, right_keys, left_time, right_time or left_time,
                                        None if tolerance is None else _micros(tolerance), suffix))

    def window_join(self, other: "Stream", *, on: str | Sequence[str] | None = None,
                    left_on: str | Sequence[str] | None = None, right_on: str | Sequence[str] | None = None,
                    left_time: str, right_time: str | None = None, size: Any, slide: Any = None,
                    suffix: str = "_right") -> "Stream":
        """Event-time window join (inner): rows with equal keys that fall into the same
        window of ``size`` (tumbling; with ``slide`` < ``size``, sliding windows every
        ``slide``; durations are ``timedelta`` or microseconds). Output: ``window_start``,
        ``window_end``, this stream's columns, then ``other``'s. Pairs leave as soon as both
        rows arrived; each side's rows of a window are dropped once the other side's
        watermark passes the window's end::

            clicks.window_join(views, on="user", left_time="ts", size=timedelta(minutes=1))
        """
        left_keys, right_keys = _names(left_on if on is None else on), _names(right_on if on is None else on)
        if not left_keys:
            raise TypeError("window_join() needs on= or left_on=/right_on=")
        size_us = _micros(size)
        return Stream(self._s.window_join(other._s, left_keys, right_keys, left_time, right_time or left_time, size_us,
                                          size_us if slide is None else _micros(slide), suffix))

    def temporal_join(self, table: "Stream", *, on: str | Sequence[str] | None = None,
                      left_on: str | Sequence[str] | None = None, right_on: str | Sequence[str] | None = None,
                      time: str, version_time: str, op: str | None = None, how: str = "inner",
                      suffix: str = "_right") -> "Stream":
        """Event-time temporal join with a versioned table: ``table`` is its history, each
        row the key's version from ``version_time`` on, until a later row of the key
        replaces it. Each row of this stream meets the version of its key valid at its
        ``time``. With ``op`` (a string column of a changelog: ``insert``,
        ``update_before``, ``update_after``, ``delete``) a delete ends the key's version
        and update_before rows are ignored. ``how`` is ``"inner"`` or ``"left"`` (rows
        without a valid version kept, with nulls). Rows leave once the table's watermark
        passes their time; versions no later row can need are released::

            orders.temporal_join(rates, on="currency", time="ts", version_time="valid_from")
        """
        left_keys, right_keys = _names(left_on if on is None else on), _names(right_on if on is None else on)
        if not left_keys:
            raise TypeError("temporal_join() needs on= or left_on=/right_on=")
        return Stream(self._s.temporal_join(table._s, how, left_keys, right_keys, time, version_time, op or "",
                                            suffix))

    def group_by(self, *keys: str) -> "GroupBy":
        """``group_by("k").agg(total=agg.sum("x"), n=agg.count())``; no keys: one global row.
        Over an unbounded stream the result is a changelog (see ``GroupBy.agg``)."""
        return GroupBy(self, list(keys))

    def idle_timeout(self, timeout: Any) -> "Stream":
        """This source (call it right on one) declares itself idle after ``timeout``
        (a ``timedelta`` or microseconds of wall-clock time) without data, so a union or
        join over it stops holding the watermark back for it until it sends again; rows
        it sends later may then be late::

            both = clicks.idle_timeout(timedelta(seconds=5)).union(views)
        """
        return Stream(self._s.idle_timeout(_micros(timeout)))

    def agg(self, *aggregates: "Agg", **named: "Agg") -> "Stream":
        """A global aggregate (one row): ``s.agg(n=agg.count(), top=agg.max("x"))``."""
        return GroupBy(self, []).agg(*aggregates, **named)

    def window(self, time_column: str, size: Any, *, slide: Any = None, by: str | Sequence[str] = (),
               allowed_lateness: Any = 0) -> "WindowedGroupBy":
        """Event-time windows over a timestamp column: tumbling (``size`` only) or sliding
        (``slide`` < ``size``). Durations are ``datetime.timedelta`` or microseconds.
        ``.agg(...)`` emits each window's rows once the watermark passes its end, so an
        endless stream yields results as windows close."""
        size_us = _micros(size)
        slide_us = size_us if slide is None else _micros(slide)
        return WindowedGroupBy(self, time_column, size_us, slide_us, _micros(allowed_lateness), _names(by))

    def global_window(self, *, by: str | Sequence[str] = (), trigger_count: int = 0,
                      trigger_interval: Any = 0) -> "WindowedGroupBy":
        """One window per key (``by``) over all time. ``.agg(...)`` gives the keys and the
        aggregates, emitted when the input ends; ``trigger_count=n`` also emits a key's
        result so far each time it took n more rows, ``trigger_interval`` (a ``timedelta``
        or microseconds of wall-clock time) every key's that changed, each that often. A
        key's last row is its final result::

            totals = events.global_window(by="user", trigger_count=100).agg(n=agg.count())
        """
        return WindowedGroupBy(self, "", 0, 0, 0, _names(by), global_triggers=(trigger_count,
                                                                               _micros(trigger_interval)))

    def session_window(self, time_column: str, gap: Any, *, by: str | Sequence[str] = (),
                       allowed_lateness: Any = 0) -> "WindowedGroupBy":
        """Session windows over a timestamp column: per key (``by``), rows less than
        ``gap`` apart in event time form one session, which closes once the watermark
        passes its last row + ``gap``; a row bridging two sessions merges them.
        ``.agg(...)`` gives window_start (first row's time), window_end (last row's time +
        gap), the keys, the aggregates. Durations are ``datetime.timedelta`` or
        microseconds. Within ``allowed_lateness`` a late row that extends or merges an
        emitted session emits the whole session again, with its new bounds::

            clicks.session_window("ts", timedelta(minutes=30), by="user").agg(n=agg.count())
        """
        return WindowedGroupBy(self, time_column, 0, 0, _micros(allowed_lateness), _names(by), gap_us=_micros(gap))

    def over(self, *, by: str | Sequence[str], rows: int) -> "RowsWindow":
        """A window of rows per key: ``.agg(...)`` appends to every row the aggregates over
        the last ``rows`` rows of its key (``by``), itself included, as SQL's
        ``AGG(x) OVER (PARTITION BY by ROWS BETWEEN rows-1 PRECEDING AND CURRENT ROW)``.
        Rows are taken in arrival order, which is each key's order in the stream: sort
        first for another. Aggregates: ``count``, ``sum``, ``mean``, ``min``, ``max``,
        skipping nulls as SQL does. Results leave with their row, never waiting
        for a watermark, and each key's last rows are its only state::

            # per seller, the mean of its last 10 closing prices, on every sale
            sales.sort("closed_at").over(by="seller", rows=10).agg(avg_price=agg.mean("price"))
        """
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 1:
            raise ValueError(f"rows must be a positive int, not {rows!r}")
        keys = _names(by)
        if not keys:
            raise TypeError("over() needs by=, the key columns")
        return RowsWindow(self, keys, rows)

    def process(self, fn: Any, *, by: str | Sequence[str], schema: pa.Schema, state_ttl: Any = 0) -> "Stream":
        """A keyed process function: per key (``by``), ``fn.process(rows, ctx)`` gets that
        key's rows of each batch (a ``pyarrow.RecordBatch``, in input order) and
        ``fn.on_timer(time_us, ctx)`` (optional) each timer of the key when it comes due
        (``ctx.time_domain`` says which clock: ``"event_time"`` or ``"processing_time"``).
        ``ctx`` holds the current key: ``ctx.key`` (a dict of the key columns),
        ``ctx.watermark``, ``ctx.emit(batch)`` for rows of ``schema``, and per-key state
        of any Python values, kept per key group:

        - values: ``ctx.value(name, default)``, ``ctx.set_value(name, v)``, ``ctx.clear_value(name)``;
        - lists: ``ctx.list_append(name, v)``, ``ctx.list(name)`` (a new Python list, in
          append order), ``ctx.set_list(name, values)``, ``ctx.clear_list(name)``;
        - maps: ``ctx.map_put(name, key, v)``, ``ctx.map_get(name, key, default)``,
          ``ctx.map_remove(name, key)`` (True if it was there), ``ctx.map_items(name)``
          (``(key, value)`` pairs, ordered by the key's encoding, not insertion),
          ``ctx.clear_map(name)``. Map keys are None, bool, int, float, str, bytes or tuples
          of them, equal as in a dict (1, 1.0 and True are one key).

        Event-time timers (``ctx.register_timer(t_us)``, ``ctx.delete_timer(t_us)``) fire
        once the watermark reaches them. Processing-time timers
        (``ctx.register_processing_timer(t_us)``, ``ctx.delete_processing_timer(t_us)``,
        wall-clock microseconds since the epoch; ``ctx.processing_time`` is now) have no
        thread of their own: they fire when the operator next receives something (a batch,
        a watermark, a checkpoint barrier, or the one Idle message of a source with
        ``idle_timeout`` going quiet) after the clock passed them, so an input that sends
        nothing delays them. At the end of input every pending timer fires, event time
        first, each kind in time order.

        ``state_ttl`` (a ``datetime.timedelta`` or microseconds of event time): a key whose
        state was last written while the watermark was W loses all its state and pending
        timers once the watermark passes W + ``state_ttl`` (writes before the first
        watermark count as written at it). Event time, so results do not depend on how fast
        the job runs; ``explain_analyze()`` counts the expired keys. ``ctx`` is valid only
        during the call::

            class Count:
                def process(self, rows, ctx):
                    ctx.set_value("n", ctx.value("n", 0) + rows.num_rows)
                    ctx.register_timer(ctx.watermark + 60_000_000)
                def on_timer(self, time_us, ctx):
                    ctx.emit(pa.record_batch({"user": [ctx.key["user"]], "n": [ctx.value("n")]}, schema))
        """
        name = getattr(fn, "__name__", type(fn).__name__)
        ttl_us = _micros(state_ttl)
        if ttl_us < 0:
            raise ValueError(f"state_ttl must not be negative, got {state_ttl!r}")
        return Stream(self._s.keyed_process(_names(by), fn, _invoke_keyed_process, name, schema.__arrow_c_schema__(),
                                            ttl_us))

    def late_rows(self) -> "Stream":
        """The side output of a window aggregate (this stream): the input rows that arrived
        after their window's end + ``allowed_lateness`` in watermark time, which no window
        took, with the input's columns. Running it runs the whole window (the results
        themselves are dropped); their count is the ``late rows`` column of
        ``explain_analyze()``::

            counts = events.window("ts", timedelta(minutes=1), allowed_lateness=timedelta(seconds=10)).agg(n=agg.count())
            counts.late_rows().write_csv("late.csv")
        """
        return Stream(self._s.late_rows())

    def sort(self, *by: str, descending: bool | Sequence[bool] = False,
             nulls_first: bool | Sequence[bool] = False) -> "Stream":
        """ORDER BY; stable. Defaults as DuckDB: ascending, nulls last."""
        return Stream(self._s.sort(_sort_keys(by, descending, nulls_first)))

    def top_k(self, k: int, *by: str, descending: bool | Sequence[bool] = False,
              nulls_first: bool | Sequence[bool] = False, per: str | Sequence[str] = (),
              with_ties: bool = False) -> "Stream":
        """``sort(...).limit(k)`` in one operator that keeps only k rows in memory. With
        ``per``, the best k rows of each group of equal ``per`` values (SQL's
        ``ROW_NUMBER() OVER (PARTITION BY per ORDER BY by) <= k``; ties keep input order),
        each group's rows in order, emitted when the input ends; ``with_ties`` also keeps
        the rows equal to a group's k-th on every ``by`` column (``RANK() <= k``)::

            bids.top_k(10, "price", descending=True, per="auction")   # 10 highest bids per auction
            bids.top_k(1, "date_time", descending=True, per=["bidder", "auction"])  # latest bid of each pair
            bids.top_k(1, "price", descending=True, per="window_start", with_ties=True)  # all bids at the top price
        """
        if with_ties and not per:
            raise TypeError("top_k(with_ties=True) needs per=, the group columns")
        return Stream(self._s.sort(_sort_keys(by, descending, nulls_first), k, _names(per), with_ties))

    def distinct(self, *columns: str) -> "Stream":
        """Distinct rows over ``columns`` (default: all); nulls are equal to each other."""
        return Stream(self._s.distinct(list(columns)))

    # -- inspection ---------------------------------------------------------------------
    def explain(self, schemas: bool = True) -> str:
        """The plan as a tree; with ``schemas``, each step's output columns (opens sources).
        Python UDFs follow, each with the strategy that runs it."""
        text = self._s.explain_with_schemas() if schemas else self._s.explain()
        udfs = explain_lines(text)
        return text + "".join(f"udf {line}\n" for line in udfs)

    def explain_analyze(self) -> str:
        """Runs the stream (the rows are counted, not kept) and returns each step's rows and
        batches in and out and its own time, summed over the worker threads, as a table in
        plan order; the first line gives the total rows, time, threads and memory peak. A
        second table gives the wall time of each phase of the run (shared subplans held,
        join build inputs and hash tables, the main pipeline), which shows a phase that kept
        few threads busy."""
        return _core.analyze(self._s, **_JobSettings.args())

    @property
    def is_bounded(self) -> bool:
        return self._s.is_bounded()

    def __repr__(self) -> str:
        return "Stream(\n" + self._s.explain() + ")"

    # -- results --------------------------------------------------------------------
    def __iter__(self) -> Iterator[pa.RecordBatch]:
        if not self._s.is_bounded():
            raise SabotError("this stream is unbounded (it reads an endless source), so `for` would never end: "
                             "iterate it with `async for`, or bound it with .limit(n)")
        return _BatchIterator(_core.start(self._s, **_JobSettings.args()))

    def __aiter__(self) -> AsyncIterator[pa.RecordBatch]:
        return _AsyncBatchIterator(_core.start(self._s, **_JobSettings.args()))

    def records(self) -> Iterator[dict[str, Any]]:
        """Rows as dicts. Sugar over batches: the engine still works batch by batch."""
        for batch in self:
            yield from batch.to_pylist()

    def collect(self, *, threads: int | None = None) -> pa.Table:
        """Runs a bounded stream to the end; the result as a ``pyarrow.Table``.
        ``threads`` overrides sabot.set_threads for this run."""
        if not self._s.is_bounded():
            raise SabotError("this stream is unbounded (it reads an endless source), so collect() would never "
                             "end: iterate it with `async for`, or bound it with .limit(n)")
        schema_capsule, batches = _core.collect(self._s, **_JobSettings.args(threads))
        schema = pa.Schema._import_from_c_capsule(schema_capsule)
        return pa.Table.from_batches([pa.RecordBatch._import_from_c_capsule(*b) for b in batches], schema=schema)

    to_arrow = collect

    def to_pandas(self):
        return self.collect().to_pandas()

    def to_polars(self):
        import polars as pl
        return pl.from_arrow(self.collect())

    def count(self, *, threads: int | None = None) -> int:
        """Number of rows (the rows are not kept). ``threads`` as in collect()."""
        return _core.count_rows(self._s, **_JobSettings.args(threads))

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """Arrow PyCapsule protocol: ``pyarrow.table(stream)``, ``polars.from_arrow(...)``
        read the results without copying them."""
        it = iter(self)
        reader = pa.RecordBatchReader.from_batches(it.schema, it)
        return reader.__arrow_c_stream__(requested_schema)

    def write_csv(self, path: str, *, partition_by: str | Sequence[str] = ()) -> int:
        """See ``write_parquet`` for ``partition_by``."""
        return _core.write_file(self._s, "csv", str(path), partition_by=_names(partition_by), **_JobSettings.args())

    def write_json(self, path: str, *, partition_by: str | Sequence[str] = ()) -> int:
        """JSON lines: one object per row. See ``write_parquet`` for ``partition_by``."""
        return _core.write_file(self._s, "jsonl", str(path), partition_by=_names(partition_by), **_JobSettings.args())

    def write_ipc(self, path: str, stream: bool = False, *, partition_by: str | Sequence[str] = ()) -> int:
        """See ``write_parquet`` for ``partition_by``."""
        return _core.write_file(self._s, "ipc_stream" if stream else "ipc", str(path),
                                partition_by=_names(partition_by), **_JobSettings.args())

    def write_parquet(self, path: str, *, partition_by: str | Sequence[str] = ()) -> int:
        """Writes to a temporary name and renames on success: a failed job leaves nothing.
        Returns the number of rows written. With ``partition_by`` (columns), ``path`` is a
        directory with one file per distinct value, Hive style, the partition columns
        left out of the files (an existing directory is replaced whole)::

            bids.with_columns(hour=call("strftime", col("date_time"), format="%Y-%m-%d %H"))\
                .write_parquet("bids", partition_by="hour")   # bids/hour=2023-11-15 00/part-0.parquet
        """
        return _core.write_file(self._s, "parquet", str(path), partition_by=_names(partition_by),
                                **_JobSettings.args())

    def to_plan_json(self, sink_format: str, sink_path: str) -> str:
        """The plan, ending in a file sink, as a plan file for ``sabot run``. Paths are
        written as given; ``sabot run`` reads relative ones from the plan file's folder,
        so give absolute paths or save the plan beside the data."""
        return self._s.to_plan_json(sink_format, str(sink_path))


class Agg:
    """One aggregate: see the functions of ``sabot.agg``. ``where`` (SQL's ``FILTER
    (WHERE ...)``) makes it see only the rows where that expression is true."""

    __slots__ = ("function", "column", "name", "where")

    def __init__(self, function: str, column: str = "", name: str = "", where: Expr | None = None):
        self.function, self.column, self.name, self.where = function, column, name, where

    def alias(self, name: str) -> "Agg":
        return Agg(self.function, self.column, name, self.where)

    def __repr__(self) -> str:
        cond = f" where {self.where}" if self.where is not None else ""
        return f"Agg({self.function}({self.column or '*'}){cond}{' as ' + self.name if self.name else ''})"


def _agg_specs(stream: Stream, aggregates: Sequence[Agg],
               named: Mapping[str, Agg]) -> tuple[Stream, list[tuple[str, str, str]]]:
    """The (function, column, name) triples the engine takes. A filtered aggregate reads a
    column that is null where its condition is not true: aggregates skip nulls, so this is
    FILTER (WHERE ...); count(*) becomes a count of such a column."""
    items = [(a, a.name) for a in aggregates] + [(a, name) for name, a in named.items()]
    if not items:
        raise TypeError("agg() needs at least one aggregate, e.g. agg(n=agg.count())")
    specs, masked = [], {}
    for i, (a, name) in enumerate(items):
        if a.where is None:
            specs.append((a.function, a.column, name))
            continue
        hidden = f"__agg_where_{i}"
        value = _core.lit(1) if a.function == "count_all" else _core.col(a.column)
        masked[hidden] = _core.call("if_else", [_to_expr(a.where)._e, value, _core.typed_lit(None, "null")], {})
        if not name:
            raise TypeError(f"a filtered aggregate needs a name: agg(name={a!r})")
        specs.append(("count" if a.function == "count_all" else a.function, hidden, name))
    if masked:
        stream = Stream(stream._s.with_columns(list(masked.items())))
    return stream, specs


class GroupBy:
    """The result of ``Stream.group_by``; ``agg(...)`` makes it a Stream again."""

    def __init__(self, stream: Stream, keys: list[str]):
        self._stream, self._keys = stream, keys

    def agg(self, *aggregates: Agg, changelog: bool | None = None, state_ttl: Any = 0, time_column: str | None = None,
            **named: Agg) -> Stream:
        """The aggregates per group. Over a bounded stream: one row per group at the end.
        Over an unbounded one (or with ``changelog=True``): a changelog, emitted after every
        batch, with an ``op`` column first: ``insert`` for a new group, ``update_before``
        (old row) then ``update_after`` (new row) for a changed one, ``delete`` for one
        forgotten by ``state_ttl`` (a duration in event time of ``time_column``: a key whose
        newest row is that much older than the watermark). ``sabot.materialize(stream)``
        applies a changelog into the table it describes."""
        stream, specs = _agg_specs(self._stream, aggregates, named)
        if changelog is None:
            changelog = not self._stream.is_bounded or bool(state_ttl)
        if not changelog:
            return Stream(stream._s.aggregate(self._keys, specs))
        ttl_us = _micros(state_ttl)
        if ttl_us and not time_column:
            raise TypeError("state_ttl= needs time_column=, the event-time column that keeps a key alive")
        return Stream(stream._s.changelog_aggregate(self._keys, specs, ttl_us, time_column or ""))


class WindowedGroupBy:
    """The result of ``Stream.window`` or ``Stream.session_window``; ``agg(...)`` makes it a
    Stream again, with columns window_start, window_end, the keys, then the aggregates."""

    def __init__(self, stream: Stream, time_column: str, size_us: int, slide_us: int, lateness_us: int,
                 keys: list[str], *, gap_us: int | None = None, global_triggers: tuple[int, int] | None = None):
        self._stream, self._args = stream, (time_column, size_us, slide_us, lateness_us, keys)
        self._gap_us = gap_us
        self._global_triggers = global_triggers

    def agg(self, *aggregates: Agg, **named: Agg) -> Stream:
        stream, specs = _agg_specs(self._stream, aggregates, named)
        if self._global_triggers is not None:
            return Stream(stream._s.global_window_aggregate(*self._global_triggers, self._args[4], specs))
        if self._gap_us is not None:  # a session window
            time_column, _, _, lateness_us, keys = self._args
            return Stream(stream._s.session_window_aggregate(time_column, self._gap_us, lateness_us, keys,
                                                                   specs))
        return Stream(stream._s.window_aggregate(*self._args, specs))


class RowsWindow:
    """The result of ``Stream.over``; ``agg(...)`` makes it a Stream again: the input
    columns, then one per aggregate."""

    def __init__(self, stream: Stream, keys: list[str], rows: int):
        self._stream, self._keys, self._rows = stream, keys, rows

    def agg(self, *aggregates: Agg, **named: Agg) -> Stream:
        for a in [*aggregates, *named.values()]:
            if a.where is not None:
                raise TypeError(f"over().agg() takes no where= (in {a!r}); mask the column first, "
                                "e.g. with_columns(x=(cond).if_else(col('x'), None))")
        _, specs = _agg_specs(self._stream, aggregates, named)
        return Stream(self._stream._s.rows_window(self._keys, self._rows, specs))


class _KeyedProcessContext:
    """What a keyed process function sees; wraps the engine's context for one call."""

    def __init__(self, ctx):
        self._ctx = ctx
        self._key = None

    @property
    def key(self) -> dict:
        if self._key is None:
            self._key = pa.RecordBatch._import_from_c_capsule(*self._ctx.key_capsules()).to_pylist()[0]
        return self._key

    @property
    def watermark(self) -> int:
        return self._ctx.watermark

    def value(self, name: str, default: Any = None) -> Any:
        value = self._ctx.value(name)
        return default if value is None else value

    def set_value(self, name: str, value: Any) -> None:
        self._ctx.set_value(name, value)

    def clear_value(self, name: str) -> None:
        self._ctx.clear_value(name)

    def list_append(self, name: str, value: Any) -> None:
        self._ctx.list_append(name, value)

    def list(self, name: str) -> list:
        return self._ctx.list(name)

    def set_list(self, name: str, values: Iterable[Any]) -> None:
        self._ctx.set_list(name, list(values))

    def clear_list(self, name: str) -> None:
        self._ctx.clear_list(name)

    def map_put(self, name: str, key: Any, value: Any) -> None:
        self._ctx.map_put(name, _map_key(key), (key, value))

    def map_get(self, name: str, key: Any, default: Any = None) -> Any:
        entry = self._ctx.map_get(name, _map_key(key))
        return default if entry is None else entry[1]

    def map_remove(self, name: str, key: Any) -> bool:
        return self._ctx.map_remove(name, _map_key(key))

    def map_items(self, name: str) -> list[tuple[Any, Any]]:
        return self._ctx.map_entries(name)

    def clear_map(self, name: str) -> None:
        self._ctx.clear_map(name)

    def register_timer(self, time_us: int) -> None:
        self._ctx.register_timer(int(time_us))

    def delete_timer(self, time_us: int) -> None:
        self._ctx.delete_timer(int(time_us))

    def register_processing_timer(self, time_us: int) -> None:
        self._ctx.register_processing_timer(int(time_us))

    def delete_processing_timer(self, time_us: int) -> None:
        self._ctx.delete_processing_timer(int(time_us))

    @property
    def processing_time(self) -> int:
        return self._ctx.processing_time

    @property
    def time_domain(self) -> str:
        return self._ctx.time_domain

    def emit(self, rows: pa.RecordBatch) -> None:
        if isinstance(rows, pa.Table):
            for batch in rows.to_batches():
                self._ctx.emit(*batch.__arrow_c_array__())
            return
        self._ctx.emit(*rows.__arrow_c_array__())


def _map_key(key: Any) -> str:
    """Map state keys as text, equal exactly when the keys are equal in a dict (True, 1
    and 1.0 are one key), so the engine can keep maps ordered without calling Python."""
    if key is None:
        return "n"
    if isinstance(key, (bool, int)):
        return f"i{int(key)}"
    if isinstance(key, float):
        return f"i{int(key)}" if key.is_integer() else f"f{key!r}"
    if isinstance(key, str):
        return "s" + key
    if isinstance(key, bytes):
        return "b" + key.hex()
    if isinstance(key, tuple):
        # Each part's length first, so ("a,b",) and ("a", "b") stay apart.
        return "t" + "".join(f"{len(p)}:{p}" for p in map(_map_key, key))
    raise TypeError(f"a map state key must be None, bool, int, float, str, bytes or a tuple of them, "
                    f"not {type(key).__name__}")


def _invoke_keyed_process(fn, event: str, ctx, a, b) -> None:
    context = _KeyedProcessContext(ctx)
    if event == "rows":
        fn.process(pa.RecordBatch._import_from_c_capsule(a, b), context)
    elif hasattr(fn, "on_timer"):
        fn.on_timer(a, context)


def _micros(value: Any) -> int:
    if isinstance(value, _dt.timedelta):
        return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    if isinstance(value, int):
        return value
    raise TypeError(f"a duration must be a datetime.timedelta or an int of microseconds, not {value!r}")


def _names(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _sort_keys(by, descending, nulls_first) -> list[tuple[str, bool, bool]]:
    if not by:
        raise TypeError("sort() needs at least one column")
    n = len(by)
    desc = [descending] * n if isinstance(descending, bool) else list(descending)
    nulls = [nulls_first] * n if isinstance(nulls_first, bool) else list(nulls_first)
    if len(desc) != n or len(nulls) != n:
        raise ValueError("descending= and nulls_first= need one value per sort column")
    return [(c, not d, nf) for c, d, nf in zip(by, desc, nulls)]


class _BatchIterator:
    """Blocking iteration; waits release the GIL and wake every 50 ms for Ctrl-C."""

    def __init__(self, running: _core.RunningPlan):
        self._run = running
        self.schema = pa.Schema._import_from_c_capsule(running.schema())

    def __iter__(self):
        return self

    def __next__(self) -> pa.RecordBatch:
        if self._run is None:
            raise StopIteration
        try:
            while True:
                state, capsules = self._run.next(_WAIT_MS)
                if state == _BATCH:
                    return pa.RecordBatch._import_from_c_capsule(*capsules)
                if state == _END:
                    self.close()
                    raise StopIteration
        except BaseException:  # Ctrl-C, a job error: stop the engine before raising
            self.close()
            raise

    def close(self) -> None:
        if self._run is not None:
            run, self._run = self._run, None
            run.close()

    def __del__(self):
        self.close()


class _AsyncBatchIterator:
    """``async for``: waits on the engine's notification fd, never blocking the loop."""

    def __init__(self, running: _core.RunningPlan):
        self._run = running
        self.schema = pa.Schema._import_from_c_capsule(running.schema())

    def __aiter__(self):
        return self

    async def __anext__(self) -> pa.RecordBatch:
        if self._run is None:
            raise StopAsyncIteration
        try:
            while True:
                state, capsules = self._run.next(0)
                if state == _BATCH:
                    return pa.RecordBatch._import_from_c_capsule(*capsules)
                if state == _END:
                    self.close()
                    raise StopAsyncIteration
                await _readable(self._run.notify_fd)
        except BaseException:  # task cancelled, job error: stop the engine first
            self.close()
            raise

    async def aclose(self) -> None:
        self.close()

    def close(self) -> None:
        if self._run is not None:
            run, self._run = self._run, None
            run.close()

    def __del__(self):
        self.close()


async def _readable(fd: int) -> None:
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_reader(fd)


def _invoke_udf(fn, schema_capsule, array_capsule):
    """Called by engine threads (GIL held) for map_batches: capsules in, capsules out."""
    batch = pa.RecordBatch._import_from_c_capsule(schema_capsule, array_capsule)
    result = fn(batch)
    if isinstance(result, pa.Table):
        result = result.combine_chunks()
        batches = result.to_batches()
        result = batches[0] if batches else pa.RecordBatch.from_pylist([], schema=result.schema)
    elif not isinstance(result, pa.RecordBatch):
        if hasattr(result, "__arrow_c_array__"):
            result = pa.record_batch(result)
        elif hasattr(result, "__arrow_c_stream__"):
            table = pa.table(result).combine_chunks()
            batches = table.to_batches()
            result = batches[0] if batches else pa.RecordBatch.from_pylist([], schema=table.schema)
        else:
            raise TypeError(f"map_batches function must return a pyarrow.RecordBatch or Table, "
                            f"not {type(result).__name__}")
    return result.__arrow_c_array__()
