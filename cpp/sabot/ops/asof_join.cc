// AsofJoinOperator: left rows wait for the right watermark; right rows are kept per key
// down to the newest one at or below the horizon of what the left side can still need.
#include "sabot/ops/asof_join.h"

#include <algorithm>
#include <iterator>

#include <arrow/api.h>

#include "sabot/exec/event_time.h"

namespace sabot {
namespace {

constexpr int kLeft = 0;
constexpr int kRight = 1;


}  // namespace

AsofJoinOperator::AsofJoinOperator(std::string_view name, AsofJoinSpec spec, EventTimeJoinKeys keys,
                                   std::shared_ptr<arrow::Schema> left, std::shared_ptr<arrow::Schema> right,
                                   int left_time, int right_time, int op_column)
    : EventTimeJoinOperator(keys.output_schema()),
      name_(name),
      spec_(std::move(spec)),
      op_column_(op_column),
      keys_(std::move(keys)),
      time_column_{left_time, right_time},
      left_(std::move(left)),
      right_(std::move(right)) {}

Result<Flow> AsofJoinOperator::Consume(int port, const std::shared_ptr<arrow::RecordBatch>& batch) {
  if (port == kLeft) return ConsumeLeft(batch);
  ARROW_RETURN_NOT_OK(ConsumeRight(batch));
  return Flow::kContinue;
}

Result<Flow> AsofJoinOperator::Advanced(int port) {
  Flow flow = Flow::kContinue;
  if (port == kRight) {
    ARROW_ASSIGN_OR_RAISE(flow, EmitDecided());
  }
  ARROW_RETURN_NOT_OK(PruneRight());
  return flow;
}

Result<Flow> AsofJoinOperator::ConsumeLeft(const std::shared_ptr<arrow::RecordBatch>& batch) {
  ARROW_RETURN_NOT_OK(ReadTimes(kLeft, *batch, *left_.schema(), time_column_[kLeft], spec_.left_time, &times_));
  ARROW_RETURN_NOT_OK(keys_.Ids(kLeft, *batch, &ids_, &valid_));
  by_key_.resize(keys_.num_keys());
  const bool keep_unmatched = spec_.type == JoinType::kLeft;
  // Rows the right watermark already decides leave now; the others wait for it.
  std::vector<RowRef> lefts, rights;
  const uint32_t slot = left_.Open(batch);
  for (int64_t i = 0; i < batch->num_rows(); ++i) {
    const auto at = static_cast<size_t>(i);
    const int64_t t = times_[at];
    if (!valid_[at]) {
      if (!keep_unmatched) continue;
      lefts.push_back(left_.Add(slot, static_cast<int32_t>(i)));
      rights.push_back(kNoRow);
    } else if (t <= progress().watermark(kRight)) {
      lefts.push_back(left_.Add(slot, static_cast<int32_t>(i)));
      rights.push_back(Match(ids_[at], t));
    } else {
      waiting_.emplace(t, Waiting{left_.Add(slot, static_cast<int32_t>(i)), ids_[at]});
    }
  }
  auto flow = EmitJoined(lefts, rights);
  left_.Close(slot);
  return flow;
}

Status AsofJoinOperator::ConsumeRight(const std::shared_ptr<arrow::RecordBatch>& batch) {
  ARROW_RETURN_NOT_OK(
      ReadTimes(kRight, *batch, *right_.schema(), time_column_[kRight], spec_.right_time, &times_));
  ARROW_RETURN_NOT_OK(keys_.Ids(kRight, *batch, &ids_, &valid_));
  ARROW_RETURN_NOT_OK(ReadOps(*batch));
  by_key_.resize(keys_.num_keys());
  if (progress().ended(kLeft) && waiting_.empty()) return Status::OK();  // no left row can come
  const int64_t oldest_useful =
      spec_.tolerance_us ? SaturatingAdd(horizon_, -*spec_.tolerance_us) : std::numeric_limits<int64_t>::min();
  const uint32_t slot = right_.Open(batch);
  for (int64_t i = 0; i < batch->num_rows(); ++i) {
    const auto at = static_cast<size_t>(i);
    const int64_t t = times_[at];
    if (!valid_[at] || t < oldest_useful || ops_[at] == 0) continue;
    const bool deleted = ops_[at] < 0;
    const uint32_t key = ids_[at];
    auto& rows = by_key_[key];
    auto same = rows.find(t);
    if (same != rows.end()) {  // of one key and time, the last to arrive counts
      ARROW_RETURN_NOT_OK(right_.Release(same->second.ref));
      same->second = RightRow{right_.Add(slot, static_cast<int32_t>(i)), deleted};
      continue;
    }
    if (t > horizon_) {
      rows.emplace(t, RightRow{right_.Add(slot, static_cast<int32_t>(i)), deleted});
      above_.emplace(t, key);
      continue;
    }
    // At or below the horizon only the newest row of the key is of use.
    auto floor = rows.upper_bound(horizon_);
    if (floor != rows.begin()) {
      --floor;
      if (floor->first > t) continue;
      ARROW_RETURN_NOT_OK(DropRight(key, floor));
    }
    rows.emplace(t, RightRow{right_.Add(slot, static_cast<int32_t>(i)), deleted});
    floors_.emplace(t, key);
  }
  right_.Close(slot);
  return Status::OK();
}

RowRef AsofJoinOperator::Match(uint32_t key, int64_t t) const {
  const auto& rows = by_key_[key];
  auto it = rows.upper_bound(t);
  if (it == rows.begin()) return kNoRow;
  --it;
  if (it->second.deleted) return kNoRow;
  if (spec_.tolerance_us && it->first < SaturatingAdd(t, -*spec_.tolerance_us)) return kNoRow;
  return it->second.ref;
}

Result<Flow> AsofJoinOperator::EmitDecided() {
  // In chunks: at the end of a bounded right input every left row is decided at once.
  constexpr size_t kMaxOutputRows = 64 * 1024;
  while (!waiting_.empty() && waiting_.begin()->first <= progress().watermark(kRight)) {
    std::vector<RowRef> lefts, rights;
    auto it = waiting_.begin();
    for (; it != waiting_.end() && it->first <= progress().watermark(kRight) && lefts.size() < kMaxOutputRows; ++it) {
      lefts.push_back(it->second.ref);
      rights.push_back(Match(it->second.key, it->first));
    }
    waiting_.erase(waiting_.begin(), it);
    ARROW_ASSIGN_OR_RAISE(Flow flow, EmitJoined(std::move(lefts), std::move(rights)));
    if (flow == Flow::kStop) return flow;
  }
  return Flow::kContinue;
}

Result<Flow> AsofJoinOperator::EmitJoined(std::vector<RowRef> lefts, std::vector<RowRef> rights) {
  if (spec_.type == JoinType::kInner) {
    size_t kept = 0;
    for (size_t i = 0; i < lefts.size(); ++i) {
      if (rights[i].slot == kNoRow.slot) {
        ARROW_RETURN_NOT_OK(left_.Release(lefts[i]));
        continue;
      }
      lefts[kept] = lefts[i];
      rights[kept++] = rights[i];
    }
    lefts.resize(kept);
    rights.resize(kept);
  }
  if (lefts.empty()) return Flow::kContinue;
  ARROW_ASSIGN_OR_RAISE(auto left, left_.Gather(lefts));
  ARROW_ASSIGN_OR_RAISE(auto right, right_.Gather(rights));
  for (const RowRef& ref : lefts) ARROW_RETURN_NOT_OK(left_.Release(ref));
  std::vector<std::shared_ptr<arrow::Array>> columns = left->columns();
  for (const auto& column : right->columns()) columns.push_back(column);
  return Emit(Message::Batch(
      arrow::RecordBatch::Make(output_schema(), static_cast<int64_t>(lefts.size()), std::move(columns))));
}

Status AsofJoinOperator::ReadOps(const arrow::RecordBatch& batch) {
  const int64_t n = batch.num_rows();
  ops_.assign(static_cast<size_t>(n), 1);
  if (op_column_ < 0) return Status::OK();
  // The op values of a changelog (see ChangelogAggregate): update_before is followed by
  // the update_after that replaces it, so only the latter makes a version.
  const auto& ops = static_cast<const arrow::StringArray&>(*batch.column(op_column_));
  for (int64_t i = 0; i < n; ++i) {
    const std::string_view op = ops.IsValid(i) ? ops.GetView(i) : std::string_view();
    if (op == "insert" || op == "update_after") continue;
    if (op == "update_before") {
      ops_[static_cast<size_t>(i)] = 0;
    } else if (op == "delete") {
      ops_[static_cast<size_t>(i)] = -1;
    } else {
      return Status::Invalid(name_, ": op column '", batch.schema()->field(op_column_)->name(), "' holds ",
                             ops.IsValid(i) ? "'" + std::string(op) + "'" : std::string("null"), " at row ", i,
                             " (expected insert, update_before, update_after or delete)");
    }
  }
  return Status::OK();
}

Status AsofJoinOperator::DropRight(uint32_t key, std::map<int64_t, RightRow>::iterator row) {
  ARROW_RETURN_NOT_OK(right_.Release(row->second.ref));
  floors_.erase(TimeKey{row->first, key});
  by_key_[key].erase(row);
  return Status::OK();
}

Status AsofJoinOperator::PruneRight() {
  if (right_.rows() == 0) return Status::OK();
  if (progress().ended(kLeft) && waiting_.empty()) {
    for (auto& rows : by_key_) {
      for (const auto& [t, row] : rows) ARROW_RETURN_NOT_OK(right_.Release(row.ref));
      rows.clear();
    }
    above_.clear();
    floors_.clear();
    return Status::OK();
  }
  const int64_t oldest_waiting = waiting_.empty() ? kMaxWatermark : waiting_.begin()->first;
  horizon_ = std::max(horizon_, std::min(progress().watermark(kLeft), oldest_waiting));
  // A row the horizon passes becomes its key's floor; the floor before it is no use now.
  while (!above_.empty() && above_.begin()->first <= horizon_) {
    const auto [t, key] = *above_.begin();
    above_.erase(above_.begin());
    auto& rows = by_key_[key];
    auto row = rows.find(t);
    SABOT_CHECK(row != rows.end());
    if (row != rows.begin()) ARROW_RETURN_NOT_OK(DropRight(key, std::prev(row)));
    floors_.emplace(t, key);
  }
  if (!spec_.tolerance_us) return Status::OK();
  const int64_t oldest_useful = SaturatingAdd(horizon_, -*spec_.tolerance_us);
  while (!floors_.empty() && floors_.begin()->first < oldest_useful) {
    const auto [t, key] = *floors_.begin();
    ARROW_RETURN_NOT_OK(DropRight(key, by_key_[key].find(t)));
  }
  return Status::OK();
}

Result<std::pair<std::shared_ptr<arrow::RecordBatch>, std::vector<uint16_t>>> AsofJoinOperator::HeldByKeyGroup(
    int port) const {
  std::vector<RowRef> refs;
  std::vector<int64_t> deleted;
  if (port == kLeft) {
    for (const auto& [t, waiting] : waiting_) refs.push_back(waiting.ref);
  } else {
    for (const auto& rows : by_key_) {
      for (const auto& [t, row] : rows) {
        refs.push_back(row.ref);
        deleted.push_back(row.deleted ? 1 : 0);
      }
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto held, (port == kLeft ? left_ : right_).Gather(refs));
  ARROW_ASSIGN_OR_RAISE(auto groups, RowKeyGroups(*held, keys_.key_columns(port), num_key_groups()));
  if (port == kRight) {
    ARROW_ASSIGN_OR_RAISE(held, held->AddColumn(0, arrow::field("deleted", arrow::int64(), /*nullable=*/false),
                                                std::make_shared<arrow::Int64Array>(
                                                    held->num_rows(), arrow::Buffer::FromVector(std::move(deleted)))));
  }
  return std::make_pair(std::move(held), std::move(groups));
}

Result<std::shared_ptr<arrow::Schema>> AsofJoinOperator::HeldSchema(int port) const {
  if (port == kLeft) return left_.schema();
  return right_.schema()->AddField(0, arrow::field("deleted", arrow::int64(), /*nullable=*/false));
}

Status AsofJoinOperator::RestoreHeld(int port, const std::shared_ptr<arrow::RecordBatch>& held) {
  if (port == kLeft) {
    ARROW_RETURN_NOT_OK(ReadTimes(kLeft, *held, *left_.schema(), time_column_[kLeft], spec_.left_time, &times_));
    ARROW_RETURN_NOT_OK(keys_.Ids(kLeft, *held, &ids_, &valid_));
    const uint32_t slot = left_.Open(held);
    for (int64_t i = 0; i < held->num_rows(); ++i) {
      const auto at = static_cast<size_t>(i);
      waiting_.emplace(times_[at], Waiting{left_.Add(slot, static_cast<int32_t>(i)), ids_[at]});
    }
    left_.Close(slot);
    return Status::OK();
  }
  const auto& deleted = static_cast<const arrow::Int64Array&>(*held->column(0));
  ARROW_ASSIGN_OR_RAISE(auto rows, held->RemoveColumn(0));
  ARROW_RETURN_NOT_OK(ReadTimes(kRight, *rows, *right_.schema(), time_column_[kRight], spec_.right_time, &times_));
  ARROW_RETURN_NOT_OK(keys_.Ids(kRight, *rows, &ids_, &valid_));
  by_key_.resize(keys_.num_keys());
  const uint32_t slot = right_.Open(rows);
  for (int64_t i = 0; i < rows->num_rows(); ++i) {
    const auto at = static_cast<size_t>(i);
    const RightRow row{right_.Add(slot, static_cast<int32_t>(i)), deleted.Value(i) != 0};
    if (!by_key_[ids_[at]].emplace(times_[at], row).second) {
      right_.Close(slot);
      return Status::Invalid(name(), " snapshot: two right rows of one key at time ", times_[at]);
    }
    // As if newly arrived above the horizon: PruneRight keeps each key's floor from them.
    above_.emplace(times_[at], ids_[at]);
  }
  right_.Close(slot);
  return PruneRight();
}

Result<std::unique_ptr<Operator>> AsofJoinOperator::Make(const std::shared_ptr<arrow::Schema>& left,
                                                         const std::shared_ptr<arrow::Schema>& right,
                                                         const AsofJoinSpec& spec, std::string_view name,
                                                         const std::string& what, const std::string& right_time_role,
                                                         int op_column) {
  if (spec.type != JoinType::kInner && spec.type != JoinType::kLeft) {
    return Status::Invalid(what, ": type ", ToString(spec.type), " is not supported (expected inner or left)");
  }
  if (spec.tolerance_us && *spec.tolerance_us < 0) {
    return Status::Invalid(what, ": tolerance ", *spec.tolerance_us,
                           " us is negative; it is how far back a match may lie");
  }
  JoinSpec equi;
  equi.type = spec.type;
  equi.left_keys = spec.left_keys;
  equi.right_keys = spec.right_keys;
  equi.right_suffix = spec.right_suffix;
  ARROW_ASSIGN_OR_RAISE(auto keys, EventTimeJoinKeys::Make(left, right, equi, what));
  ARROW_ASSIGN_OR_RAISE(int left_time, ResolveTimeColumn(*left, spec.left_time, "left time column"));
  ARROW_ASSIGN_OR_RAISE(int right_time, ResolveTimeColumn(*right, spec.right_time, right_time_role));
  return std::unique_ptr<Operator>(
      new AsofJoinOperator(name, spec, std::move(keys), left, right, left_time, right_time, op_column));
}

Result<std::unique_ptr<Operator>> MakeAsofJoin(const std::shared_ptr<arrow::Schema>& left,
                                               const std::shared_ptr<arrow::Schema>& right, const AsofJoinSpec& spec) {
  return AsofJoinOperator::Make(left, right, spec, "AsofJoin", "as-of join", "right time column", /*op_column=*/-1);
}

}  // namespace sabot
