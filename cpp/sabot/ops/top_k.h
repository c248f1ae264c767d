// TopK (ORDER BY ... LIMIT k): keeps only the best k rows seen so far, so memory stays
// bounded however long the input.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include <arrow/record_batch.h>

#include "sabot/exec/operator.h"
#include "sabot/ops/sort.h"
#include "sabot/ops/sort_spec.h"

namespace sabot {

//! The best k rows one thread has seen, and the rows not yet compared against them.
//! Partial states of several threads combine with Merge; Finish gives the same rows as
//! a stable sort followed by a limit of k.
class TopKState {
 public:
  TopKState(SortSpec spec, int64_t k) : spec_(std::move(spec)), k_(k) {}

  //! Offers the rows of `batch` (of spec().schema()). Rows that cannot beat the current
  //! k-th best on the first key are dropped at once, vectorized.
  Status Add(const std::shared_ptr<arrow::RecordBatch>& batch);
  //! Takes `other`'s rows as if they arrived after this state's (ties prefer this state).
  Status Merge(TopKState&& other);
  //! The best min(k, rows seen) rows, sorted; nullptr when there are none.
  Result<std::shared_ptr<arrow::RecordBatch>> Finish();

  const SortSpec& spec() const { return spec_; }
  int64_t k() const { return k_; }
  //! Rows held: the best so far and the pending ones.
  int64_t rows() const { return (best_ == nullptr ? 0 : best_->num_rows()) + pending_rows_; }

 private:
  //! Folds the pending rows into best_: a stable sort of best_ followed by the pending
  //! rows (which arrived later) keeps ties in input order.
  Status Compact();
  //! The rows of `batch` that may still enter the top k, judged by the first key alone.
  Result<std::shared_ptr<arrow::RecordBatch>> Prefilter(const std::shared_ptr<arrow::RecordBatch>& batch) const;

  SortSpec spec_;
  int64_t k_;
  std::shared_ptr<arrow::RecordBatch> best_;  //!< at most k rows, sorted; null until the first compaction
  std::shared_ptr<arrow::Scalar> boundary_;   //!< first key of the k-th best row once best_ is full
  std::vector<std::shared_ptr<arrow::RecordBatch>> pending_;
  int64_t pending_rows_ = 0;
};

//! The kept rows (null: none yet) followed by the pending ones, as one batch; empties
//! `pending`. How top-k states fold new rows in: ties then keep input order.
Result<std::shared_ptr<arrow::RecordBatch>> KeptThenPending(const std::shared_ptr<arrow::RecordBatch>& kept,
                                                            std::vector<std::shared_ptr<arrow::RecordBatch>>* pending);

//! One thread's copy of a stage that folds its input into a `State` (Add(batch)) and
//! emits State::Finish()'s rows at EndOfStream, in batches of kSortOutputBatchRows: top-k,
//! grouped or not. Like Sort, it holds watermarks back (the rows they vouch for are still
//! inside) and forwards checkpoint barriers.
template <typename State>
class RowsAtEndOperator final : public Operator {
 public:
  RowsAtEndOperator(std::string_view name, State state, std::shared_ptr<arrow::Schema> schema)
      : Operator(std::move(schema)), name_(name), state_(std::move(state)) {}
  std::string_view name() const override { return name_; }
  int64_t state_rows() const override { return state_.rows(); }

  Result<Flow> Push(int port, Message message) override {
    if (finished_) return Flow::kStop;
    switch (message.kind()) {
      case MessageKind::kBatch:
        ARROW_RETURN_NOT_OK(state_.Add(message.batch()));
        return Flow::kContinue;
      case MessageKind::kWatermark:
      case MessageKind::kIdle:
        return Flow::kContinue;  // held back: see the class comment
      case MessageKind::kCheckpointBarrier:
        return Emit(std::move(message));
      case MessageKind::kEndOfStream:
        break;
    }
    finished_ = true;
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::RecordBatch> rows, state_.Finish());
    const int64_t n = rows == nullptr ? 0 : rows->num_rows();
    for (int64_t offset = 0; offset < n; offset += kSortOutputBatchRows) {
      ARROW_ASSIGN_OR_RAISE(auto flow, Emit(Message::Batch(rows->Slice(offset, kSortOutputBatchRows))));
      if (flow == Flow::kStop) return flow;
    }
    return Emit(Message::EndOfStream());
  }

 private:
  std::string_view name_;  //!< a literal
  State state_;
  bool finished_ = false;
};

//! ORDER BY keys LIMIT k in one operator: keeps only the best k rows seen so far
//! (bounded memory, O(k) state), emits them sorted at EndOfStream. Ties broken by input
//! order (stable), so results equal Sort followed by Limit k.
Result<std::unique_ptr<Operator>> MakeTopK(const std::shared_ptr<arrow::Schema>& input,
                                           const std::vector<SortKey>& keys, int64_t k);

}  // namespace sabot
