"""Type stubs for sabot._core, the compiled binding (python/src/module.cc).

Use the ``sabot`` package rather than this module: its functions take and return the
raw objects below, Arrow data as PyCapsules (``__arrow_c_schema__``/``__arrow_c_array__``/
``__arrow_c_stream__``).
"""
from typing import Any, Callable, Sequence

__version__: str
arrow_version: str

class SabotError(Exception):
    """A user-facing engine error (bad input, unknown column, failed I/O)."""

class Expr:
    """An expression tree over columns; bound to Arrow compute kernels when run."""
    def equals(self, other: Expr) -> bool: ...
    def column_refs(self) -> list[str]: ...

def col(name: str) -> Expr: ...
def lit(value: bool | int | float | str) -> Expr: ...
def typed_lit(text: str | None, type: str) -> Expr:
    """A literal parsed from text as ``type`` (e.g. ``"decimal128(12, 2)"``); None gives a typed null."""
def call(function: str, args: Sequence[Expr], options: dict[str, str]) -> Expr:
    """Any Arrow compute scalar function by name; options as text."""

class Stream:
    """An immutable logical plan; every method returns a new Stream."""
    def filter(self, predicate: Expr) -> Stream: ...
    def select(self, columns: Sequence[str]) -> Stream: ...
    def project(self, columns: Sequence[tuple[str, Expr]]) -> Stream: ...
    def with_columns(self, columns: Sequence[tuple[str, Expr]]) -> Stream: ...
    def rename(self, renames: Sequence[tuple[str, str]]) -> Stream: ...
    def union(self, other: Stream) -> Stream: ...
    def limit(self, count: int, offset: int = 0) -> Stream: ...
    def explode(self, column: str) -> Stream: ...
    def map_batches(self, fn: Callable[..., Any], invoke: Callable[[Any, Any, Any], tuple[Any, Any]], name: str,
                    schema_capsule: Any | None) -> Stream:
        """``invoke(fn, schema_capsule, array_capsule) -> (schema_capsule, array_capsule)``
        is called on engine threads with the GIL held."""
    def join(self, right: Stream, how: str, left_keys: Sequence[str], right_keys: Sequence[str],
             residual: Expr | None, suffix: str) -> Stream: ...
    def aggregate(self, keys: Sequence[str], aggregates: Sequence[tuple[str, str, str]]) -> Stream:
        """``aggregates``: (function, column, output name) triples."""
    def window_aggregate(self, time_column: str, size_us: int, slide_us: int, allowed_lateness_us: int,
                         keys: list[str], aggregates: list[tuple[str, str, str]]) -> Stream: ...
    def interval_join(self, other: Stream, left_keys: list[str], right_keys: list[str], left_time: str,
                      right_time: str, lower_us: int, upper_us: int, suffix: str) -> Stream: ...
    def late_rows(self) -> Stream: ...
    def keyed_process(self, keys: list[str], fn: Any, invoke: Any, name: str, schema_capsule: Any) -> Stream: ...
    def idle_timeout(self, timeout_us: int) -> Stream: ...
    def global_window_aggregate(self, trigger_count: int, trigger_interval_us: int, keys: list[str],
                                aggregates: list[tuple[str, str, str]]) -> Stream: ...
    def changelog_aggregate(self, keys: list[str], aggregates: list[tuple[str, str, str]], state_ttl_us: int,
                            time_column: str) -> Stream: ...
    def session_window_aggregate(self, time_column: str, gap_us: int, allowed_lateness_us: int,
                                 keys: list[str], aggregates: list[tuple[str, str, str]]) -> Stream: ...
    def sort(self, keys: Sequence[tuple[str, bool, bool]], k: int = -1) -> Stream:
        """``keys``: (column, ascending, nulls_first); ``k >= 0`` keeps the top k rows."""
    def distinct(self, columns: Sequence[str]) -> Stream: ...
    def explain(self) -> str: ...
    def explain_with_schemas(self) -> str:
        """The tree with each step's output columns; opens sources to learn them."""
    def is_bounded(self) -> bool: ...
    def to_plan_json(self, format: str, path: str) -> str:
        """The plan ending in a file sink, as a ``sabot run`` plan file."""

def read_file(format: str, path: str, schema_capsule: Any | None, columns: Sequence[str], delimiter: str,
              header: bool) -> Stream:
    """``format``: csv, jsonl, ipc, ipc_stream or parquet; ``path`` a file, folder or glob."""
def generate(rows: int, batch_size: int, rows_per_second: float, seed: int, num_keys: int, start_time_us: int,
             time_step_us: int, max_out_of_orderness_us: int) -> Stream:
    """Synthetic rows (id, key, value, category, ts); ``rows=-1`` never ends."""
def nexmark(table: str, events: int, batch_size: int, seed: int, events_per_second: int,
            start_time_us: int) -> Stream: ...
def from_stream_capsule(capsule: Any, name: str, event_time: str = "", max_out_of_orderness_us: int = 0) -> Stream:
    """An ``ArrowArrayStream`` PyCapsule, read into memory without copying buffers; with
    ``event_time``, a watermark of max(event time) - bound follows each batch."""
def write_file(stream: Stream, format: str, path: str, memory_limit: int = 0, allow_spill: bool = True,
               threads: int = 0) -> int:
    """Runs the stream into a file (temporary name, renamed on success); the row count."""
def count_rows(stream: Stream, memory_limit: int = 0, allow_spill: bool = True, threads: int = 0) -> int: ...
def analyze(stream: Stream, memory_limit: int = 0, allow_spill: bool = True, threads: int = 0) -> str:
    """Runs the stream (rows counted, not kept); the per-step rows, batches and time."""
def collect(stream: Stream, memory_limit: int = 0, allow_spill: bool = True,
            threads: int = 0) -> tuple[Any, list[tuple[Any, Any]]]: ...
def register_udf(name: str, arity: int, specializer: Callable[[Any], tuple], describe: str = "") -> None: ...
def is_registered_udf(name: str) -> bool: ...
def release_udf_references() -> None: ...
def parse_byte_size(text: str) -> int:
    """'512MB' -> 536870912 (binary multiples); errors name the text."""

class RunningPlan:
    """A plan running on engine threads, its batches read with ``next``."""
    def next(self, timeout_ms: int) -> tuple[int, tuple[Any, Any] | None]:
        """(0, (schema_capsule, array_capsule)) for a batch, (1, None) when none is ready
        yet, (2, None) at the end. Job errors are raised here."""
    def close(self) -> None:
        """Cancels the job and joins its threads; idempotent."""
    @property
    def notify_fd(self) -> int:
        """Readable when ``next`` has something to say (for event loops); -1 once closed."""
    def schema(self) -> Any:
        """The output schema as an ``ArrowSchema`` PyCapsule."""

def start(stream: Stream, queue_batches: int = 8, memory_limit: int = 0, allow_spill: bool = True,
          threads: int = 0) -> RunningPlan: ...
def active_engine_threads() -> int:
    """Engine threads currently running, over all RunningPlans in this process."""
def run_plan_file(path: str, threads: int = 0) -> int: ...
def explain_plan_file(path: str) -> str: ...
