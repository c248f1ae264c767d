// MergeSortedRuns: k-way merge by rounds of SortIndices over the runs' loaded batches.
#include "sabot/ops/sorted_run_merge.h"

#include <algorithm>

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>

namespace sabot {

namespace {

int64_t IndexAt(const arrow::Array& indices, int64_t i) {
  if (indices.type_id() == arrow::Type::UINT32) return static_cast<const arrow::UInt32Array&>(indices).Value(i);
  return static_cast<int64_t>(static_cast<const arrow::UInt64Array&>(indices).Value(i));
}

// One run's reader and the rows of its current batch not yet emitted.
struct RunCursor {
  std::unique_ptr<SpillFile> file;
  std::shared_ptr<arrow::RecordBatchReader> reader;
  std::shared_ptr<arrow::RecordBatch> rows;  // null once the run is exhausted

  Status Advance() {
    do {
      ARROW_ASSIGN_OR_RAISE(rows, reader->Next());
    } while (rows != nullptr && rows->num_rows() == 0);
    if (rows == nullptr) {
      reader.reset();
      file.reset();  // read to the end: free its disk space
    }
    return Status::OK();
  }
};

Result<Flow> EmitInSlices(const std::shared_ptr<arrow::RecordBatch>& batch, int64_t max_rows,
                          const std::function<Result<Flow>(std::shared_ptr<arrow::RecordBatch>)>& emit) {
  for (int64_t offset = 0; offset < batch->num_rows(); offset += max_rows) {
    ARROW_ASSIGN_OR_RAISE(Flow flow, emit(batch->Slice(offset, std::min(max_rows, batch->num_rows() - offset))));
    if (flow == Flow::kStop) return flow;
  }
  return Flow::kContinue;
}

}  // namespace

Result<Flow> MergeSortedRuns(const SortSpec& spec, std::vector<std::unique_ptr<SpillFile>> runs,
                             int64_t max_batch_rows,
                             const std::function<Result<Flow>(std::shared_ptr<arrow::RecordBatch>)>& emit) {
  std::vector<RunCursor> cursors;
  for (auto& run : runs) {
    RunCursor cursor;
    ARROW_ASSIGN_OR_RAISE(cursor.reader, run->OpenReader());
    cursor.file = std::move(run);
    ARROW_RETURN_NOT_OK(cursor.Advance());
    if (cursor.rows != nullptr) cursors.push_back(std::move(cursor));
  }
  while (!cursors.empty()) {
    if (cursors.size() == 1) {  // the last run: its rows are in order already
      auto& last = cursors.front();
      while (last.rows != nullptr) {
        ARROW_ASSIGN_OR_RAISE(Flow flow, EmitInSlices(last.rows, max_batch_rows, emit));
        if (flow == Flow::kStop) return flow;
        ARROW_RETURN_NOT_OK(last.Advance());
      }
      break;
    }
    // The bound: the smallest last loaded row, ties to the earliest run (stable sort of
    // the last rows in run order). Every row on disk is >= its run's last loaded row, so
    // nothing still unread sorts before the bound or, among equals, before it.
    std::vector<std::shared_ptr<arrow::RecordBatch>> lasts, loaded;
    std::vector<int64_t> start;
    int64_t total = 0;
    for (const auto& c : cursors) {
      lasts.push_back(c.rows->Slice(c.rows->num_rows() - 1, 1));
      loaded.push_back(c.rows);
      start.push_back(total);
      total += c.rows->num_rows();
    }
    ARROW_ASSIGN_OR_RAISE(auto last_rows, arrow::ConcatenateRecordBatches(lasts));
    ARROW_ASSIGN_OR_RAISE(auto last_order, spec.SortIndices(*last_rows));
    const size_t bound_run = static_cast<size_t>(IndexAt(*last_order, 0));
    const int64_t bound_row = start[bound_run] + cursors[bound_run].rows->num_rows() - 1;

    // Stable sort of everything loaded (runs concatenated in run order); emit up to and
    // including the bound. Rows equal to the bound from later runs wait: the bound's run
    // may hold more equal rows, which come first.
    ARROW_ASSIGN_OR_RAISE(auto all, arrow::ConcatenateRecordBatches(loaded));
    ARROW_ASSIGN_OR_RAISE(auto order, spec.SortIndices(*all));
    int64_t emit_rows = 0;
    std::vector<int64_t> taken(cursors.size(), 0);
    while (true) {
      const int64_t row = IndexAt(*order, emit_rows++);
      const size_t run = static_cast<size_t>(std::upper_bound(start.begin(), start.end(), row) - start.begin() - 1);
      ++taken[run];
      if (row == bound_row) break;
    }
    ARROW_ASSIGN_OR_RAISE(auto out, arrow::compute::Take(arrow::Datum(all), arrow::Datum(order->Slice(0, emit_rows))));
    all.reset();
    ARROW_ASSIGN_OR_RAISE(Flow flow, EmitInSlices(out.record_batch(), max_batch_rows, emit));
    if (flow == Flow::kStop) return flow;
    // Each run emitted a prefix of its loaded rows (a stable sort keeps a sorted run's
    // order); keep the rest, load the next batch of runs that emitted all.
    std::vector<RunCursor> next;
    for (size_t r = 0; r < cursors.size(); ++r) {
      auto& c = cursors[r];
      if (taken[r] < c.rows->num_rows()) {
        c.rows = c.rows->Slice(taken[r]);
      } else {
        ARROW_RETURN_NOT_OK(c.Advance());
      }
      if (c.rows != nullptr) next.push_back(std::move(c));
    }
    cursors = std::move(next);
  }
  return Flow::kContinue;
}

}  // namespace sabot
