// TopK: a prefilter against the current k-th best row drops most input at vector speed;
// the survivors are folded into the best k by a stable sort now and then.
#include "sabot/ops/top_k.h"

#include <algorithm>

#include <arrow/api.h>
#include <arrow/compute/api.h>

#include "sabot/expr/bind.h"
#include "sabot/ops/sort.h"

namespace sabot {

namespace cp = arrow::compute;

namespace {

// Pending rows are folded in once there are at least this many (or k, if larger): small
// enough to keep the boundary fresh for pruning, large enough that a sort is worth it.
constexpr int64_t kMinCompactRows = 4096;

bool IsNaN(const arrow::Scalar& scalar) {
  if (scalar.type->id() == arrow::Type::DOUBLE) {
    const double v = static_cast<const arrow::DoubleScalar&>(scalar).value;
    return v != v;
  }
  if (scalar.type->id() == arrow::Type::FLOAT) {
    const float v = static_cast<const arrow::FloatScalar&>(scalar).value;
    return v != v;
  }
  return false;
}

bool IsFloating(const arrow::DataType& type) {
  return type.id() == arrow::Type::FLOAT || type.id() == arrow::Type::DOUBLE;
}

}  // namespace

Result<std::shared_ptr<arrow::RecordBatch>> TopKState::Prefilter(
    const std::shared_ptr<arrow::RecordBatch>& batch) const {
  if (boundary_ == nullptr) return batch;
  const SortKey& key = spec_.keys()[0];
  const auto& column = batch->column(spec_.key_indices()[0]);
  arrow::Datum keep;
  if (!boundary_->is_valid) {
    // The k-th best is NULL: with NULLS FIRST only NULLs can still tie it; with NULLS
    // LAST nothing is worse than it on this key, so the later keys must decide.
    if (!key.nulls_first) return batch;
    ARROW_ASSIGN_OR_RAISE(keep, cp::CallFunction("is_null", {column}));
  } else if (IsNaN(*boundary_)) {
    return batch;  // rare; not worth a special mask
  } else {
    // A row survives when it is not strictly worse than the boundary. NaN is the greatest
    // value, so it survives a descending order; NULLs survive only when they come first.
    auto compared = cp::CallFunction(key.ascending ? "less_equal" : "greater_equal", {column, boundary_});
    if (!compared.ok()) {
      if (compared.status().IsNotImplemented()) return batch;  // no comparison kernel: no pruning
      return compared.status();
    }
    keep = std::move(compared).ValueUnsafe();
    if (!key.ascending && IsFloating(*column->type())) {
      ARROW_ASSIGN_OR_RAISE(auto is_nan, cp::CallFunction("is_nan", {column}));
      ARROW_ASSIGN_OR_RAISE(keep, cp::CallFunction("or", {keep, is_nan}));
    }
    if (column->null_count() > 0) {
      ARROW_ASSIGN_OR_RAISE(keep, cp::CallFunction("coalesce", {keep, arrow::Datum(key.nulls_first)}));
    }
  }
  const int64_t kept = arrow::BooleanArray(keep.array()).true_count();
  if (kept == batch->num_rows()) return batch;
  if (kept == 0) return nullptr;
  ARROW_ASSIGN_OR_RAISE(auto filtered, cp::Filter(arrow::Datum(batch), keep));
  return filtered.record_batch();
}

Status TopKState::Add(const std::shared_ptr<arrow::RecordBatch>& batch) {
  if (k_ == 0 || batch->num_rows() == 0) return Status::OK();
  ARROW_RETURN_NOT_OK(EnsureComputeInitialized());
  ARROW_ASSIGN_OR_RAISE(auto survivors, Prefilter(batch));
  if (survivors == nullptr) return Status::OK();
  pending_rows_ += survivors->num_rows();
  pending_.push_back(std::move(survivors));
  if (pending_rows_ >= std::max(k_, kMinCompactRows)) return Compact();
  return Status::OK();
}

Status TopKState::Compact() {
  if (pending_.empty()) return Status::OK();
  std::vector<std::shared_ptr<arrow::RecordBatch>> parts;
  if (best_ != nullptr) parts.push_back(best_);
  parts.insert(parts.end(), pending_.begin(), pending_.end());
  pending_.clear();
  pending_rows_ = 0;
  std::shared_ptr<arrow::RecordBatch> rows = parts[0];
  if (parts.size() > 1) {
    ARROW_ASSIGN_OR_RAISE(rows, arrow::ConcatenateRecordBatches(parts));
  }
  ARROW_ASSIGN_OR_RAISE(auto order, spec_.SortIndices(*rows));
  const int64_t keep = std::min(k_, rows->num_rows());
  ARROW_ASSIGN_OR_RAISE(auto taken, cp::Take(arrow::Datum(rows), arrow::Datum(order->Slice(0, keep))));
  best_ = taken.record_batch();
  if (best_->num_rows() == k_) {
    ARROW_ASSIGN_OR_RAISE(boundary_, best_->column(spec_.key_indices()[0])->GetScalar(k_ - 1));
  }
  return Status::OK();
}

Status TopKState::Merge(TopKState&& other) {
  SABOT_CHECK(other.k_ == k_ && other.spec_.schema()->Equals(*spec_.schema()));
  // other's best rows are sorted, ties in input order, and all precede its pending rows,
  // so offering them in this order keeps other's ties in input order too.
  if (other.best_ != nullptr) ARROW_RETURN_NOT_OK(Add(other.best_));
  for (const auto& batch : other.pending_) ARROW_RETURN_NOT_OK(Add(batch));
  other.best_ = nullptr;
  other.boundary_ = nullptr;
  other.pending_.clear();
  other.pending_rows_ = 0;
  return Status::OK();
}

Result<std::shared_ptr<arrow::RecordBatch>> TopKState::Finish() {
  ARROW_RETURN_NOT_OK(Compact());
  return best_;
}

TopKOperator::TopKOperator(SortSpec spec, int64_t k)
    : Operator(spec.schema()), state_(std::move(spec), k) {}

Result<Flow> TopKOperator::Push(int port, Message message) {
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
  ARROW_ASSIGN_OR_RAISE(auto best, state_.Finish());
  const int64_t rows = best == nullptr ? 0 : best->num_rows();
  for (int64_t offset = 0; offset < rows; offset += kSortOutputBatchRows) {
    ARROW_ASSIGN_OR_RAISE(auto flow, Emit(Message::Batch(best->Slice(offset, kSortOutputBatchRows))));
    if (flow == Flow::kStop) return flow;
  }
  return Emit(Message::EndOfStream());
}

Result<std::unique_ptr<Operator>> MakeTopK(const std::shared_ptr<arrow::Schema>& input,
                                           const std::vector<SortKey>& keys, int64_t k) {
  if (k < 0) return Status::Invalid("top-k needs k >= 0, got ", k);
  ARROW_ASSIGN_OR_RAISE(auto spec, SortSpec::Make(input, keys, "top-k"));
  return std::make_unique<TopKOperator>(std::move(spec), k);
}

}  // namespace sabot
