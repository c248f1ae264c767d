// Sort (ORDER BY): a pipeline breaker that buffers its whole input and emits it sorted
// at EndOfStream.
#pragma once

#include <memory>
#include <vector>

#include "sabot/exec/memory_budget.h"
#include "sabot/exec/operator.h"
#include "sabot/exec/spill_file.h"
#include "sabot/ops/sort_spec.h"

namespace sabot {

//! Most rows in one batch a Sort or TopK emits.
inline constexpr int64_t kSortOutputBatchRows = 64 * 1024;

//! One thread's copy of a sort stage. Its local state is the list of batches it was
//! given; sorting happens once, at EndOfStream, over all of them (one permutation from
//! SortSpec::SortIndices, then a Take per output batch), which beats sorting batch by
//! batch and merging.
//!
//! Parallel plan (not wired yet): each thread's copy sorts its own rows into one run at
//! finalize; a merge step combines the runs k-way (ties go to the lower thread index, so
//! with ordered morsels the result stays stable).
//!
//! Under a memory budget, buffered rows that would pass it are sorted into a run and
//! spilled; at EndOfStream the runs (the rows still buffered are the last) are merged
//! k-way, earlier runs first among equal keys, so the sort stays stable.
//!
//! Watermarks are held back, not forwarded: rows a watermark vouches for are still
//! inside the sort, so passing it on would make them late downstream. EndOfStream
//! implies the final watermark. Checkpoint barriers pass through.
class SortOperator final : public Operator {
 public:
  explicit SortOperator(SortSpec spec, std::shared_ptr<MemoryBudget> budget = nullptr);
  std::string_view name() const override { return "Sort"; }
  Result<Flow> Push(int port, Message message) override;

 private:
  Result<Flow> Finish();
  //! Sorts the buffered rows into one batch.
  Result<std::shared_ptr<arrow::RecordBatch>> SortBuffered();
  //! Writes the buffered rows, sorted, as the next run.
  Status SpillRun();

  SortSpec spec_;
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches_;
  int64_t num_rows_ = 0;  // buffered
  MemoryReservation reservation_;
  std::vector<std::unique_ptr<SpillFile>> runs_;
  bool finished_ = false;
};

//! Sorts all input; emits at EndOfStream in batches of at most 64K rows, then EndOfStream.
//! Stable: equal keys keep input order. `budget`: the job's memory budget; null is
//! unlimited.
Result<std::unique_ptr<Operator>> MakeSort(const std::shared_ptr<arrow::Schema>& input,
                                           const std::vector<SortKey>& keys,
                                           std::shared_ptr<MemoryBudget> budget = nullptr);

}  // namespace sabot
