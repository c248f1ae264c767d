// GroupedTopK: group ids from Arrow's vectorized Grouper, one stable sort on (group id,
// order keys) per compaction, and a run-length cut at k per group.
#include "sabot/ops/grouped_top_k.h"

#include <algorithm>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/compute/row/grouper.h>

#include "sabot/expr/bind.h"
#include "sabot/ops/sort.h"

namespace sabot {

namespace cp = arrow::compute;

namespace {

// Pending rows are folded in once there are this many, or as many as are kept if more:
// a sort over fewer rows costs more in overhead than it saves in memory.
constexpr int64_t kMinCompactRows = 1 << 16;
constexpr const char* kGroupIdColumn = "__group_id";

}  // namespace

Result<GroupedTopKState> GroupedTopKState::Make(SortSpec order, std::vector<int> group_columns, int64_t k,
                                                bool with_ties) {
  // The narrow batch Compact sorts: the group id, then the order key columns.
  arrow::FieldVector fields = {arrow::field(kGroupIdColumn, arrow::uint32())};
  std::vector<SortKey> keys = {{kGroupIdColumn, true, false}};
  for (size_t i = 0; i < order.keys().size(); ++i) {
    const auto& field = order.schema()->field(order.key_indices()[i]);
    fields.push_back(arrow::field("__order_" + std::to_string(i), field->type()));
    keys.push_back({fields.back()->name(), order.keys()[i].ascending, order.keys()[i].nulls_first});
  }
  ARROW_ASSIGN_OR_RAISE(auto by_group, SortSpec::Make(arrow::schema(std::move(fields)), keys, "grouped top-k"));
  return GroupedTopKState(std::move(order), std::move(by_group), std::move(group_columns), k, with_ties);
}

bool GroupedTopKState::SameOrderKeys(const arrow::RecordBatch& rows, int64_t a, int64_t b) const {
  for (int c : order_.key_indices()) {
    const auto& column = *rows.column(c);
    if (!column.RangeEquals(a, a + 1, b, column)) return false;
  }
  return true;
}

Status GroupedTopKState::Add(const std::shared_ptr<arrow::RecordBatch>& batch) {
  if (batch->num_rows() == 0) return Status::OK();
  pending_rows_ += batch->num_rows();
  pending_.push_back(batch);
  if (pending_rows_ >= std::max(best_rows_, kMinCompactRows)) return Compact();
  return Status::OK();
}

Status GroupedTopKState::Compact() {
  if (pending_.empty()) return Status::OK();
  ARROW_RETURN_NOT_OK(EnsureComputeInitialized());
  std::vector<std::shared_ptr<arrow::RecordBatch>> parts;
  if (best_ != nullptr) parts.push_back(best_);
  parts.insert(parts.end(), pending_.begin(), pending_.end());
  pending_.clear();
  pending_rows_ = 0;
  std::shared_ptr<arrow::RecordBatch> rows = parts[0];
  if (parts.size() > 1) {
    ARROW_ASSIGN_OR_RAISE(rows, arrow::ConcatenateRecordBatches(parts));
  }
  const int64_t n = rows->num_rows();

  // A fresh grouper per compaction: ids only need to agree within this batch.
  std::vector<arrow::TypeHolder> types;
  std::vector<cp::ExecValue> keys;
  for (int c : group_columns_) {
    types.emplace_back(rows->column(c)->type());
    keys.emplace_back(*rows->column_data(c));
  }
  ARROW_ASSIGN_OR_RAISE(auto grouper, cp::Grouper::Make(types));
  ARROW_ASSIGN_OR_RAISE(arrow::Datum ids, grouper->Consume(cp::ExecSpan(std::move(keys), n)));

  // Groups sort by their first row (Arrow's ids need not follow first appearance): the
  // kept rows come first in `rows`, so groups stay in order of first appearance.
  const uint32_t* id = ids.array()->GetValues<uint32_t>(1);
  std::vector<uint32_t> first(grouper->num_groups(), UINT32_MAX);
  std::vector<uint32_t> group_of(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    uint32_t& f = first[id[i]];
    if (f == UINT32_MAX) f = static_cast<uint32_t>(i);
    group_of[static_cast<size_t>(i)] = f;
  }
  const uint32_t* group = group_of.data();
  arrow::ArrayVector narrow = {std::make_shared<arrow::UInt32Array>(n, arrow::Buffer::Wrap(group_of))};
  for (int c : order_.key_indices()) narrow.push_back(rows->column(c));
  auto sortable = arrow::RecordBatch::Make(by_group_.schema(), n, std::move(narrow));
  ARROW_ASSIGN_OR_RAISE(auto order, by_group_.SortIndices(*sortable));

  // Sorted by group id, so each group is one run: keep its first k.
  const auto& sorted = *order->data();
  auto row_at = [&](int64_t i) -> int64_t {
    return sorted.type->id() == arrow::Type::UINT32 ? sorted.GetValues<uint32_t>(1)[i]
                                                    : static_cast<int64_t>(sorted.GetValues<uint64_t>(1)[i]);
  };
  arrow::UInt64Builder keep;
  ARROW_RETURN_NOT_OK(keep.Reserve(n));
  int64_t rank = 0;
  uint32_t current = 0;
  int64_t last_kept = -1;  // the group's last kept row, which a tie must equal
  for (int64_t i = 0; i < n; ++i) {
    const int64_t row = row_at(i);
    if (i == 0 || group[row] != current) {
      current = group[row];
      rank = 0;
    }
    // Past the k-th row only ties may follow, and the first row that is no tie ends them
    // (the group is sorted), so each group costs at most one failed comparison.
    if (rank < k_ || (with_ties_ && rank != INT64_MAX && SameOrderKeys(*rows, last_kept, row))) {
      keep.UnsafeAppend(static_cast<uint64_t>(row));
      last_kept = row;
      ++rank;
    } else {
      rank = INT64_MAX;
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto kept, keep.Finish());
  ARROW_ASSIGN_OR_RAISE(auto taken, cp::Take(arrow::Datum(rows), arrow::Datum(kept)));
  best_ = taken.record_batch();
  best_rows_ = best_->num_rows();
  return Status::OK();
}

Result<std::shared_ptr<arrow::RecordBatch>> GroupedTopKState::Finish() {
  ARROW_RETURN_NOT_OK(Compact());
  return best_;
}

Result<Flow> GroupedTopKOperator::Push(int port, Message message) {
  if (finished_) return Flow::kStop;
  switch (message.kind()) {
    case MessageKind::kBatch:
      ARROW_RETURN_NOT_OK(state_.Add(message.batch()));
      return Flow::kContinue;
    case MessageKind::kWatermark:
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

Result<std::unique_ptr<Operator>> MakeGroupedTopK(const std::shared_ptr<arrow::Schema>& input,
                                                  const std::vector<std::string>& group_by,
                                                  const std::vector<SortKey>& keys, int64_t k, bool with_ties) {
  if (k < 1) return Status::Invalid("top-k per group needs k >= 1, got ", k);
  if (group_by.empty()) return Status::Invalid("top-k per group needs at least one group column");
  ARROW_ASSIGN_OR_RAISE(auto order, SortSpec::Make(input, keys, "top-k"));
  std::vector<int> group_columns;
  for (const auto& name : group_by) {
    const int i = input->GetFieldIndex(name);
    if (i < 0) {
      return Status::Invalid("top-k per group: unknown group column '", name, "' (columns: ",
                             input->ToString(), ")");
    }
    group_columns.push_back(i);
  }
  ARROW_ASSIGN_OR_RAISE(auto state,
                        GroupedTopKState::Make(std::move(order), std::move(group_columns), k, with_ties));
  return std::make_unique<GroupedTopKOperator>(std::move(state), input);
}

}  // namespace sabot
