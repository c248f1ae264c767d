// Merging sorted runs that a sort spilled to disk into one sorted stream.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "sabot/exec/operator.h"
#include "sabot/exec/spill_file.h"
#include "sabot/ops/sort_spec.h"

namespace sabot {

//! Merges `runs` (each sorted by `spec`, finished) k-way and emits the rows in order, in
//! batches of at most `max_batch_rows`; equal keys keep run order (earlier runs first),
//! so runs cut from the input in order give a stable sort. Returns kStop as soon as
//! `emit` does.
//!
//! Rows are compared only through SortSpec::SortIndices, so the order is exactly the
//! in-memory sort's: each round sorts what is loaded of every run (one batch each) and
//! emits the prefix up to the smallest of the runs' last loaded rows, which no row still
//! on disk can precede.
Result<Flow> MergeSortedRuns(const SortSpec& spec, std::vector<std::unique_ptr<SpillFile>> runs,
                             int64_t max_batch_rows,
                             const std::function<Result<Flow>(std::shared_ptr<arrow::RecordBatch>)>& emit);

}  // namespace sabot
