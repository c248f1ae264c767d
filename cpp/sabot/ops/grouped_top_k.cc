// GroupedTopK: group ids from Arrow's vectorized Grouper, one stable sort on (group id,
// order keys) per compaction, and a run-length cut at k per group.
#include "sabot/ops/grouped_top_k.h"

#include <algorithm>
#include <numeric>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/compute/row/grouper.h>

#include "sabot/expr/bind.h"

namespace sabot {

namespace cp = arrow::compute;

namespace {

// Pending rows are folded in once there are this many, or as many as are kept if more:
// a sort over fewer rows costs more in overhead than it saves in memory.
constexpr int64_t kMinCompactRows = 1 << 16;
// The held input batches are gathered down to the kept rows once they hold this many
// times as many rows (plus kMinCompactRows): rarely enough that gathering stays cheap.
constexpr int64_t kHeldPerKeptRow = 4;
constexpr int kGroupColumn = 0;
constexpr int kRowColumn = 1;
constexpr int kFirstOrderColumn = 2;

}  // namespace

GroupedTopKState::GroupedTopKState(SortSpec order, SortSpec by_group, std::vector<int> group_columns, int64_t k,
                                   bool with_ties, std::unique_ptr<cp::Grouper> grouper)
    : order_(std::move(order)),
      by_group_(std::move(by_group)),
      group_columns_(std::move(group_columns)),
      k_(k),
      with_ties_(with_ties),
      grouper_(std::move(grouper)) {
  arrow::FieldVector fields = {arrow::field("__group", arrow::uint32()), arrow::field("__row", arrow::int64())};
  for (size_t i = 0; i < order_.keys().size(); ++i) {
    fields.push_back(by_group_.schema()->field(static_cast<int>(i) + 1));
  }
  narrow_schema_ = arrow::schema(std::move(fields));
}

Result<GroupedTopKState> GroupedTopKState::Make(SortSpec order, std::vector<int> group_columns, int64_t k,
                                                bool with_ties) {
  // The batch Compact sorts: each row's group rank, then the order key columns.
  arrow::FieldVector fields = {arrow::field("__group_rank", arrow::uint32())};
  std::vector<SortKey> keys = {{"__group_rank", true, false}};
  for (size_t i = 0; i < order.keys().size(); ++i) {
    const auto& field = order.schema()->field(order.key_indices()[i]);
    fields.push_back(arrow::field("__order_" + std::to_string(i), field->type()));
    keys.push_back({fields.back()->name(), order.keys()[i].ascending, order.keys()[i].nulls_first});
  }
  ARROW_ASSIGN_OR_RAISE(auto by_group, SortSpec::Make(arrow::schema(std::move(fields)), keys, "grouped top-k"));
  std::vector<arrow::TypeHolder> types;
  for (int c : group_columns) types.emplace_back(order.schema()->field(c)->type());
  ARROW_ASSIGN_OR_RAISE(auto grouper, cp::Grouper::Make(types));
  return GroupedTopKState(std::move(order), std::move(by_group), std::move(group_columns), k, with_ties,
                          std::move(grouper));
}

bool GroupedTopKState::SameOrderKeys(const arrow::RecordBatch& rows, int64_t a, int64_t b) const {
  for (int c = kFirstOrderColumn; c < rows.num_columns(); ++c) {
    const auto& column = *rows.column(c);
    if (!column.RangeEquals(a, a + 1, b, column)) return false;
  }
  return true;
}

Status GroupedTopKState::Add(const std::shared_ptr<arrow::RecordBatch>& batch) {
  const int64_t n = batch->num_rows();
  if (n == 0) return Status::OK();
  ARROW_RETURN_NOT_OK(EnsureComputeInitialized());
  std::vector<cp::ExecValue> keys;
  for (int c : group_columns_) keys.emplace_back(*batch->column_data(c));
  ARROW_ASSIGN_OR_RAISE(arrow::Datum ids, grouper_->Consume(cp::ExecSpan(std::move(keys), n)));
  std::vector<int64_t> numbers(static_cast<size_t>(n));
  std::iota(numbers.begin(), numbers.end(), held_rows_);
  arrow::ArrayVector narrow = {ids.make_array(), std::make_shared<arrow::Int64Array>(n, arrow::Buffer::FromVector(
                                                                                           std::move(numbers)))};
  for (int c : order_.key_indices()) narrow.push_back(batch->column(c));
  held_.push_back(batch);
  held_rows_ += n;
  pending_.push_back(arrow::RecordBatch::Make(narrow_schema_, n, std::move(narrow)));
  pending_rows_ += n;
  if (pending_rows_ >= std::max(kept_rows_, kMinCompactRows)) return Compact();
  return Status::OK();
}

Status GroupedTopKState::Compact() {
  if (pending_.empty()) return Status::OK();
  ARROW_ASSIGN_OR_RAISE(auto rows, KeptThenPending(kept_, &pending_));
  pending_rows_ = 0;
  const int64_t n = rows->num_rows();

  // Groups sort by their first row (the grouper's ids need not follow first appearance):
  // the kept rows come first in `rows`, so groups stay in order of first appearance.
  const uint32_t* id = rows->column_data(kGroupColumn)->GetValues<uint32_t>(1);
  std::vector<uint32_t> first(grouper_->num_groups(), UINT32_MAX);
  std::vector<uint32_t> group_of(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    uint32_t& f = first[id[i]];
    if (f == UINT32_MAX) f = static_cast<uint32_t>(i);
    group_of[static_cast<size_t>(i)] = f;
  }
  const uint32_t* group = group_of.data();
  arrow::ArrayVector sortable_columns = {std::make_shared<arrow::UInt32Array>(n, arrow::Buffer::Wrap(group_of))};
  for (int c = kFirstOrderColumn; c < rows->num_columns(); ++c) sortable_columns.push_back(rows->column(c));
  auto sortable = arrow::RecordBatch::Make(by_group_.schema(), n, std::move(sortable_columns));
  ARROW_ASSIGN_OR_RAISE(auto order, by_group_.SortIndices(*sortable));

  // Sorted by group, so each group is one run: keep its first k.
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
  kept_ = taken.record_batch();
  kept_rows_ = kept_->num_rows();
  if (held_rows_ > kHeldPerKeptRow * kept_rows_ + kMinCompactRows) return Gather();
  return Status::OK();
}

Status GroupedTopKState::Gather() {
  if (kept_ == nullptr || !pending_.empty()) return Status::OK();  // pending rows point into held_ too
  ARROW_ASSIGN_OR_RAISE(auto table, arrow::Table::FromRecordBatches(order_.schema(), held_));
  ARROW_ASSIGN_OR_RAISE(auto taken, cp::Take(arrow::Datum(table), arrow::Datum(kept_->column(kRowColumn))));
  ARROW_ASSIGN_OR_RAISE(auto batch, taken.table()->CombineChunksToBatch());
  held_ = {batch};
  held_rows_ = batch->num_rows();
  std::vector<int64_t> numbers(static_cast<size_t>(kept_rows_));
  std::iota(numbers.begin(), numbers.end(), 0);
  auto columns = kept_->columns();
  columns[kRowColumn] = std::make_shared<arrow::Int64Array>(kept_rows_, arrow::Buffer::FromVector(std::move(numbers)));
  kept_ = arrow::RecordBatch::Make(narrow_schema_, kept_rows_, std::move(columns));
  return Status::OK();
}

Result<std::shared_ptr<arrow::RecordBatch>> GroupedTopKState::Finish() {
  ARROW_RETURN_NOT_OK(Compact());
  if (kept_ == nullptr) return nullptr;
  ARROW_RETURN_NOT_OK(Gather());
  return held_.front();
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
  return std::make_unique<RowsAtEndOperator<GroupedTopKState>>("GroupedTopK", std::move(state), input);
}

}  // namespace sabot
