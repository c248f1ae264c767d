// IntervalJoinOperator: both inputs held per key in event-time order, probed as batches
// arrive, and released by the other input's watermark.
#include "sabot/ops/interval_join.h"

#include <algorithm>
#include <limits>

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/row/grouper.h>

#include "sabot/common/type_names.h"
#include "sabot/exec/event_time.h"
#include "sabot/ops/join_layout.h"

namespace sabot {
namespace {

constexpr int kLeft = 0;
constexpr int kRight = 1;

Result<std::shared_ptr<arrow::RecordBatch>> TakeRows(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                     const std::vector<int32_t>& rows) {
  arrow::Int32Array indices(static_cast<int64_t>(rows.size()), arrow::Buffer::Wrap(rows));
  ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(arrow::Datum(batch), arrow::Datum(indices)));
  return taken.record_batch();
}

}  // namespace

IntervalJoinOperator::IntervalJoinOperator(std::shared_ptr<arrow::Schema> output, IntervalJoinSpec spec, Side left,
                                           Side right, std::unique_ptr<arrow::compute::Grouper> grouper)
    : Operator(std::move(output)),
      spec_(std::move(spec)),
      sides_{std::move(left), std::move(right)},
      grouper_(std::move(grouper)) {}

IntervalJoinOperator::~IntervalJoinOperator() = default;

Result<Flow> IntervalJoinOperator::Push(int port, Message message) {
  SABOT_CHECK(port == kLeft || port == kRight);
  Side& side = sides_[port];
  if (message.kind() == MessageKind::kBatch || message.kind() == MessageKind::kWatermark) side.idle = false;
  switch (message.kind()) {
    case MessageKind::kBatch:
      return Consume(port, message.batch());
    case MessageKind::kIdle:
      // The other side's watermark alone moves time on; this side's rows stay as long
      // as its own watermark says they can match.
      side.idle = true;
      return AdvanceWatermark();
    case MessageKind::kWatermark:
      side.watermark = std::max(side.watermark, message.watermark());
      ARROW_RETURN_NOT_OK(Expire(1 - port));
      return AdvanceWatermark();
    case MessageKind::kCheckpointBarrier: {
      // Forwarded once every open input delivered it (unaligned, as in the hash join).
      const int open_inputs = static_cast<int>(!sides_[kLeft].ended) + static_cast<int>(!sides_[kRight].ended);
      int& arrivals = barrier_arrivals_[message.checkpoint_id()];
      if (++arrivals < open_inputs) return Flow::kContinue;
      barrier_arrivals_.erase(message.checkpoint_id());
      return Emit(std::move(message));
    }
    case MessageKind::kEndOfStream: {
      SABOT_CHECK(!side.ended);  // one EndOfStream per input
      side.ended = true;
      side.watermark = kMaxWatermark;
      ARROW_RETURN_NOT_OK(Expire(1 - port));
      if (!sides_[kLeft].ended || !sides_[kRight].ended) return AdvanceWatermark();
      return Emit(std::move(message));
    }
  }
  return Flow::kContinue;
}

Result<Flow> IntervalJoinOperator::AdvanceWatermark() {
  const Side& left = sides_[kLeft];
  const Side& right = sides_[kRight];
  if (left.idle && right.idle) return Flow::kContinue;
  const EventTime low = left.idle    ? right.watermark
                        : right.idle ? left.watermark
                                     : std::min(left.watermark, right.watermark);
  // kMaxWatermark (both inputs ended) is implied by the EndOfStream that follows.
  if (low <= emitted_watermark_ || low == kMaxWatermark) return Flow::kContinue;
  emitted_watermark_ = low;
  return Emit(Message::Watermark(low));
}

Status IntervalJoinOperator::Expire(int port) {
  Side& side = sides_[port];
  const EventTime other = sides_[1 - port].watermark;
  // A held left row at t waits for right rows up to t + upper; a right row at t for
  // left rows up to t - lower. The other side's rows from now on are after `other`.
  const int64_t reach = port == kLeft ? spec_.upper_us : -spec_.lower_us;
  while (!side.by_time.empty()) {
    auto oldest = side.by_time.begin();
    const int64_t t = oldest->first;
    if (other != kMaxWatermark && SaturatingAdd(t, reach) > other) break;
    auto& rows = side.by_key[oldest->second];
    // Rows of one key and time leave together, so the first one of that time goes.
    auto held = rows.find(t);
    SABOT_CHECK(held != rows.end());
    auto batch = side.batches.find(held->second.slot);
    if (--batch->second.live_rows == 0) side.batches.erase(batch);
    rows.erase(held);
    side.by_time.erase(oldest);
    --side.rows;
  }
  return Status::OK();
}

Result<Flow> IntervalJoinOperator::Consume(int port, const std::shared_ptr<arrow::RecordBatch>& batch) {
  const int64_t n = batch->num_rows();
  if (n == 0) return Flow::kContinue;
  Side& side = sides_[port];
  Side& other = sides_[1 - port];
  if (batch->num_columns() != side.schema->num_fields()) {
    return Status::TypeError("IntervalJoin: ", port == kLeft ? "left" : "right", " batch schema ",
                             batch->schema()->ToString(), " does not match the planned input ",
                             side.schema->ToString());
  }
  const std::string& time_name = port == kLeft ? spec_.left_time : spec_.right_time;
  ARROW_RETURN_NOT_OK(ReadEventTimes(*batch->column(side.time_column),
                                     std::string(port == kLeft ? "left" : "right") + " time column '" + time_name + "'",
                                     &times_));
  std::vector<arrow::compute::ExecValue> keys;
  for (int k : side.key_columns) keys.emplace_back(*batch->column_data(k));
  ARROW_ASSIGN_OR_RAISE(arrow::Datum ids_datum, grouper_->Consume(arrow::compute::ExecSpan(std::move(keys), n)));
  const uint32_t* ids = ids_datum.array()->GetValues<uint32_t>(1);
  const size_t num_keys = grouper_->num_groups();
  sides_[kLeft].by_key.resize(num_keys);
  sides_[kRight].by_key.resize(num_keys);
  // SQL: a null key equals nothing.
  std::vector<uint8_t> valid(static_cast<size_t>(n), 1);
  for (int k : side.key_columns) {
    const auto& column = *batch->column(k);
    if (column.null_count() == 0) continue;
    for (int64_t i = 0; i < n; ++i) valid[static_cast<size_t>(i)] &= column.IsValid(i);
  }

  // Probe the other side: for a left row at t, right rows in [t + lower, t + upper];
  // for a right row at t, left rows in [t - upper, t - lower].
  const bool is_left = port == kLeft;
  const int64_t from_offset = is_left ? spec_.lower_us : -spec_.upper_us;
  const int64_t to_offset = is_left ? spec_.upper_us : -spec_.lower_us;
  std::vector<std::pair<int32_t, RowRef>> pairs;
  for (int64_t i = 0; i < n; ++i) {
    if (!valid[static_cast<size_t>(i)]) continue;
    const int64_t t = times_[static_cast<size_t>(i)];
    const auto& candidates = other.by_key[ids[i]];
    const auto end = candidates.upper_bound(SaturatingAdd(t, to_offset));
    for (auto it = candidates.lower_bound(SaturatingAdd(t, from_offset)); it != end; ++it) {
      pairs.emplace_back(static_cast<int32_t>(i), it->second);
    }
  }

  // Hold the rows that a later row of the other side could still match.
  const int64_t reach = is_left ? spec_.upper_us : -spec_.lower_us;
  const uint32_t slot = side.next_slot;
  int64_t held = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!valid[static_cast<size_t>(i)]) continue;
    const int64_t t = times_[static_cast<size_t>(i)];
    if (other.watermark == kMaxWatermark || SaturatingAdd(t, reach) <= other.watermark) continue;
    side.by_key[ids[i]].emplace(t, RowRef{slot, static_cast<int32_t>(i)});
    side.by_time.emplace(t, ids[i]);
    ++held;
  }
  if (held > 0) {
    side.batches[slot] = HeldBatch{batch, held};
    side.rows += held;
    ++side.next_slot;
  }
  if (pairs.empty()) return Flow::kContinue;
  ARROW_ASSIGN_OR_RAISE(auto out, Matches(batch, is_left, std::move(pairs), other));
  return Emit(Message::Batch(std::move(out)));
}

Result<std::shared_ptr<arrow::RecordBatch>> IntervalJoinOperator::Matches(
    const std::shared_ptr<arrow::RecordBatch>& probe, bool probe_is_left, std::vector<std::pair<int32_t, RowRef>> pairs,
    const Side& held) {
  // One Take per held batch: pairs grouped by the held row's batch.
  std::stable_sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.second.slot < b.second.slot; });
  std::vector<int32_t> probe_rows;
  probe_rows.reserve(pairs.size());
  for (const auto& pair : pairs) probe_rows.push_back(pair.first);
  ARROW_ASSIGN_OR_RAISE(auto probe_side, TakeRows(probe, probe_rows));
  std::vector<std::shared_ptr<arrow::RecordBatch>> pieces;
  for (size_t begin = 0; begin < pairs.size();) {
    const uint32_t slot = pairs[begin].second.slot;
    std::vector<int32_t> rows;
    size_t end = begin;
    for (; end < pairs.size() && pairs[end].second.slot == slot; ++end) rows.push_back(pairs[end].second.row);
    ARROW_ASSIGN_OR_RAISE(auto piece, TakeRows(held.batches.at(slot).batch, rows));
    pieces.push_back(std::move(piece));
    begin = end;
  }
  ARROW_ASSIGN_OR_RAISE(auto held_side, arrow::ConcatenateRecordBatches(pieces));
  const auto& left = probe_is_left ? probe_side : held_side;
  const auto& right = probe_is_left ? held_side : probe_side;
  std::vector<std::shared_ptr<arrow::Array>> columns = left->columns();
  for (const auto& column : right->columns()) columns.push_back(column);
  return arrow::RecordBatch::Make(output_schema(), static_cast<int64_t>(pairs.size()), std::move(columns));
}

Result<std::unique_ptr<Operator>> MakeIntervalJoin(const std::shared_ptr<arrow::Schema>& left,
                                                   const std::shared_ptr<arrow::Schema>& right,
                                                   const IntervalJoinSpec& spec) {
  if (spec.lower_us > spec.upper_us) {
    return Status::Invalid("interval join: lower bound (", spec.lower_us, " us) is above the upper bound (",
                           spec.upper_us, " us), so no rows could match");
  }
  // -lower_us must be representable: it is how far a right row reaches forward.
  if (spec.lower_us == std::numeric_limits<int64_t>::min()) {
    return Status::Invalid("interval join: lower bound ", spec.lower_us, " us is out of range");
  }
  JoinSpec equi;
  equi.left_keys = spec.left_keys;
  equi.right_keys = spec.right_keys;
  equi.right_suffix = spec.right_suffix;
  ARROW_ASSIGN_OR_RAISE(JoinLayout layout, ResolveJoin(left, right, equi));
  // Both sides share one Grouper, so keys must be of one type (the hash join also
  // accepts mixed integer widths; here a cast is the caller's).
  std::vector<arrow::TypeHolder> key_types;
  for (size_t i = 0; i < layout.left_key_indices.size(); ++i) {
    const auto& l = *left->field(layout.left_key_indices[i]);
    const auto& r = *right->field(layout.right_key_indices[i]);
    if (!l.type()->Equals(*r.type())) {
      return Status::TypeError("interval join key ", i, ": left ", l.name(), " is ", FormatDataType(*l.type()),
                               ", right ", r.name(), " is ", FormatDataType(*r.type()),
                               "; cast one side so both have the same type");
    }
    key_types.emplace_back(l.type());
  }
  ARROW_ASSIGN_OR_RAISE(auto grouper, arrow::compute::Grouper::Make(key_types));
  IntervalJoinOperator::Side l, r;
  l.schema = left;
  r.schema = right;
  l.key_columns = layout.left_key_indices;
  r.key_columns = layout.right_key_indices;
  ARROW_ASSIGN_OR_RAISE(l.time_column, ResolveTimeColumn(*left, spec.left_time, "left time column"));
  ARROW_ASSIGN_OR_RAISE(r.time_column, ResolveTimeColumn(*right, spec.right_time, "right time column"));
  return std::unique_ptr<Operator>(new IntervalJoinOperator(layout.output_schema, spec, std::move(l), std::move(r),
                                                            std::move(grouper)));
}

}  // namespace sabot
