"""Applying a changelog (the output of an unbounded ``group_by(...).agg(...)``) into the
table it describes."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_ADDS = {"insert": 1, "update_after": 1, "update_before": -1, "delete": -1}
_SIGN = "__sabot_changelog_sign"


def materialize(changelog: Any) -> pa.Table:
    """The table a changelog describes: ``insert`` and ``update_after`` rows add their row,
    ``update_before`` and ``delete`` rows remove theirs (computed as each distinct row's
    net count, so the work is vectorized; rows come in no particular order).
    ``changelog`` is a bounded ``Stream`` (run here), a ``pyarrow.Table`` or an iterable of
    record batches, with the ``op`` column first; the result has the other columns::

        counts = events.group_by("user").agg(n=agg.count(), changelog=True)
        table = sabot.materialize(counts)     # == events.group_by("user").agg(n=agg.count()).collect()
    """
    batches: Iterable[pa.RecordBatch]
    if isinstance(changelog, pa.Table):
        schema, batches = changelog.schema, changelog.to_batches()
    elif hasattr(changelog, "collect"):
        table = changelog.collect()
        schema, batches = table.schema, table.to_batches()
    else:
        batches = list(changelog)
        if not batches:
            raise ValueError("materialize() got no batches and so no schema; pass a Stream or a pyarrow.Table")
        schema = batches[0].schema
    if schema.names[:1] != ["op"]:
        raise ValueError(f"a changelog has an 'op' column first; these columns are {schema.names}")
    table = pa.Table.from_batches(list(batches), schema)
    ops = table.column(0)
    unknown = pc.unique(ops.filter(pc.invert(pc.is_in(ops, pa.array(list(_ADDS)))))).to_pylist()
    if unknown:
        raise ValueError(f"unknown changelog op {unknown[0]!r}; expected one of {sorted(_ADDS)}")
    # The table is the multiset of rows added minus rows removed: net count per distinct row.
    names = schema.names[1:]
    signs = pc.if_else(pc.is_in(ops, pa.array(["insert", "update_after"])), 1, -1).cast(pa.int64())
    counted = table.drop_columns(["op"]).append_column(_SIGN, signs)
    net = counted.group_by(names, use_threads=False).aggregate([(_SIGN, "sum")])
    totals = net.column(_SIGN + "_sum")
    if pc.any(pc.less(totals, 0)).as_py():
        bad = net.filter(pc.less(totals, 0)).slice(0, 1).select(names).to_pylist()[0]
        raise ValueError(f"the changelog removes a row more often than it adds it: {bad}")
    kept = net.filter(pc.greater(totals, 0))
    repeat = np.repeat(np.arange(kept.num_rows), kept.column(_SIGN + "_sum").to_numpy())
    return kept.take(pa.array(repeat, pa.int64())).select(names).cast(pa.schema(list(schema)[1:]))
