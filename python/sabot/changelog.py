"""Applying a changelog (the output of an unbounded ``group_by(...).agg(...)``) into the
table it describes."""
from __future__ import annotations

from typing import Any, Iterable

import pyarrow as pa

_ADDS = {"insert": 1, "update_after": 1, "update_before": -1, "delete": -1}


def materialize(changelog: Any) -> pa.Table:
    """The table a changelog describes: its rows applied in order, ``insert`` and
    ``update_after`` adding their row, ``update_before`` and ``delete`` removing theirs.
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
    rows: dict[tuple, int] = {}  # row -> multiplicity; insertion order is first appearance
    for batch in batches:
        ops = batch.column(0).to_pylist()
        values = list(zip(*(batch.column(i).to_pylist() for i in range(1, batch.num_columns)))) \
            if batch.num_columns > 1 else [()] * batch.num_rows
        for op, row in zip(ops, values):
            change = _ADDS.get(op)
            if change is None:
                raise ValueError(f"unknown changelog op {op!r}; expected one of {sorted(_ADDS)}")
            count = rows.get(row, 0) + change
            if count < 0:
                raise ValueError(f"the changelog removes ({op}) a row it does not hold: {row}")
            if count == 0:
                del rows[row]
            else:
                rows[row] = count
    out_schema = pa.schema(list(schema)[1:])
    kept = [row for row, count in rows.items() for _ in range(count)]
    columns = list(zip(*kept)) if kept else [[] for _ in out_schema]
    return pa.Table.from_arrays([pa.array(list(c), type=f.type) for c, f in zip(columns, out_schema)],
                                schema=out_schema)
