// IntervalJoinOperator: both inputs held per key in event-time order, probed as batches
// arrive, and released by the other input's watermark.
#include "sabot/ops/interval_join.h"

#include <limits>

#include <arrow/api.h>

#include "sabot/exec/event_time.h"

namespace sabot {
namespace {

constexpr int kLeft = 0;
constexpr int kRight = 1;

}  // namespace

IntervalJoinOperator::IntervalJoinOperator(IntervalJoinSpec spec, EventTimeJoinKeys keys, Side left, Side right)
    : EventTimeJoinOperator(keys.output_schema()),
      spec_(std::move(spec)),
      keys_(std::move(keys)),
      sides_{std::move(left), std::move(right)} {}

Result<Flow> IntervalJoinOperator::Advanced(int advanced) {
  const int port = 1 - advanced;
  Side& side = sides_[port];
  const EventTime other = progress().watermark(advanced);
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
    ARROW_RETURN_NOT_OK(side.held.Release(held->second));
    rows.erase(held);
    side.by_time.erase(oldest);
  }
  return Flow::kContinue;
}

Result<Flow> IntervalJoinOperator::Consume(int port, const std::shared_ptr<arrow::RecordBatch>& batch) {
  const int64_t n = batch->num_rows();
  Side& side = sides_[port];
  Side& other = sides_[1 - port];
  ARROW_RETURN_NOT_OK(ReadTimes(port, *batch, *side.held.schema(), side.time_column,
                                port == kLeft ? spec_.left_time : spec_.right_time, &times_));
  ARROW_RETURN_NOT_OK(keys_.Ids(port, *batch, &ids_, &valid_));
  sides_[kLeft].by_key.resize(keys_.num_keys());
  sides_[kRight].by_key.resize(keys_.num_keys());

  // Probe the other side: for a left row at t, right rows in [t + lower, t + upper];
  // for a right row at t, left rows in [t - upper, t - lower].
  const bool is_left = port == kLeft;
  const int64_t from_offset = is_left ? spec_.lower_us : -spec_.upper_us;
  const int64_t to_offset = is_left ? spec_.upper_us : -spec_.lower_us;
  const uint32_t slot = side.held.Open(batch);
  std::vector<RowRef> probes, matches;
  for (int64_t i = 0; i < n; ++i) {
    if (!valid_[static_cast<size_t>(i)]) continue;
    const int64_t t = times_[static_cast<size_t>(i)];
    const auto& candidates = other.by_key[ids_[static_cast<size_t>(i)]];
    const auto end = candidates.upper_bound(SaturatingAdd(t, to_offset));
    for (auto it = candidates.lower_bound(SaturatingAdd(t, from_offset)); it != end; ++it) {
      probes.push_back(RowRef{slot, static_cast<int32_t>(i)});
      matches.push_back(it->second);
    }
  }

  // Hold the rows that a later row of the other side could still match.
  const EventTime other_watermark = progress().watermark(1 - port);
  const int64_t reach = is_left ? spec_.upper_us : -spec_.lower_us;
  for (int64_t i = 0; i < n; ++i) {
    if (!valid_[static_cast<size_t>(i)]) continue;
    const int64_t t = times_[static_cast<size_t>(i)];
    if (other_watermark == kMaxWatermark || SaturatingAdd(t, reach) <= other_watermark) continue;
    const uint32_t key = ids_[static_cast<size_t>(i)];
    side.by_key[key].emplace(t, side.held.Add(slot, static_cast<int32_t>(i)));
    side.by_time.emplace(t, key);
  }
  Flow flow = Flow::kContinue;
  if (!probes.empty()) {
    ARROW_ASSIGN_OR_RAISE(auto probe_rows, side.held.Gather(probes));
    ARROW_ASSIGN_OR_RAISE(auto held_rows, other.held.Gather(matches));
    const auto& left = is_left ? probe_rows : held_rows;
    const auto& right = is_left ? held_rows : probe_rows;
    std::vector<std::shared_ptr<arrow::Array>> columns = left->columns();
    for (const auto& column : right->columns()) columns.push_back(column);
    ARROW_ASSIGN_OR_RAISE(flow, Emit(Message::Batch(arrow::RecordBatch::Make(
                                    output_schema(), static_cast<int64_t>(probes.size()), std::move(columns)))));
  }
  side.held.Close(slot);
  return flow;
}

Result<std::pair<std::shared_ptr<arrow::RecordBatch>, std::vector<uint16_t>>> IntervalJoinOperator::HeldByKeyGroup(
    int port) const {
  std::vector<RowRef> refs;
  for (const auto& rows : sides_[port].by_key) {
    for (const auto& [t, ref] : rows) refs.push_back(ref);
  }
  ARROW_ASSIGN_OR_RAISE(auto held, sides_[port].held.Gather(refs));
  ARROW_ASSIGN_OR_RAISE(auto groups, RowKeyGroups(*held, keys_.key_columns(port), num_key_groups()));
  return std::make_pair(std::move(held), std::move(groups));
}

Status IntervalJoinOperator::RestoreHeld(int port, const std::shared_ptr<arrow::RecordBatch>& rows) {
  Side& side = sides_[port];
  ARROW_RETURN_NOT_OK(ReadTimes(port, *rows, *side.held.schema(), side.time_column,
                                port == kLeft ? spec_.left_time : spec_.right_time, &times_));
  ARROW_RETURN_NOT_OK(keys_.Ids(port, *rows, &ids_, &valid_));
  sides_[kLeft].by_key.resize(keys_.num_keys());
  sides_[kRight].by_key.resize(keys_.num_keys());
  const uint32_t slot = side.held.Open(rows);
  for (int64_t i = 0; i < rows->num_rows(); ++i) {
    if (!valid_[static_cast<size_t>(i)]) continue;
    const uint32_t key = ids_[static_cast<size_t>(i)];
    side.by_key[key].emplace(times_[static_cast<size_t>(i)], side.held.Add(slot, static_cast<int32_t>(i)));
    side.by_time.emplace(times_[static_cast<size_t>(i)], key);
  }
  side.held.Close(slot);
  return Status::OK();
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
  ARROW_ASSIGN_OR_RAISE(auto keys, EventTimeJoinKeys::Make(left, right, equi, "interval join"));
  IntervalJoinOperator::Side l(left), r(right);
  ARROW_ASSIGN_OR_RAISE(l.time_column, ResolveTimeColumn(*left, spec.left_time, "left time column"));
  ARROW_ASSIGN_OR_RAISE(r.time_column, ResolveTimeColumn(*right, spec.right_time, "right time column"));
  return std::unique_ptr<Operator>(new IntervalJoinOperator(spec, std::move(keys), std::move(l), std::move(r)));
}

}  // namespace sabot
