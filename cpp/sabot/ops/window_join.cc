// WindowJoinOperator: rows held per window and key on both sides, probed as batches
// arrive, and released by the other input's watermark.
#include "sabot/ops/window_join.h"

#include <arrow/api.h>

#include "sabot/exec/event_time.h"
#include "sabot/ops/event_time_window.h"

namespace sabot {
namespace {

constexpr int kLeft = 0;
constexpr int kRight = 1;

Result<std::shared_ptr<arrow::Array>> TimestampColumn(const std::vector<int64_t>& values) {
  arrow::TimestampBuilder builder(WindowTimeType(), arrow::default_memory_pool());
  ARROW_RETURN_NOT_OK(builder.AppendValues(values));
  return builder.Finish();
}

}  // namespace

WindowJoinOperator::WindowJoinOperator(std::shared_ptr<arrow::Schema> output, WindowJoinSpec spec,
                                       EventTimeJoinKeys keys, Side left, Side right)
    : EventTimeJoinOperator(std::move(output)),
      spec_(std::move(spec)),
      keys_(std::move(keys)),
      sides_{std::move(left), std::move(right)} {}

Result<Flow> WindowJoinOperator::Advanced(int advanced) {
  Side& side = sides_[1 - advanced];
  const EventTime other = progress().watermark(advanced);
  while (!side.windows.empty()) {
    auto oldest = side.windows.begin();
    if (other != kMaxWatermark && SaturatingAdd(oldest->first, spec_.size_us) > other) break;
    for (const auto& [key, rows] : oldest->second) {
      for (const RowRef& ref : rows) ARROW_RETURN_NOT_OK(side.held.Release(ref));
    }
    side.windows.erase(oldest);
  }
  return Flow::kContinue;
}

Result<Flow> WindowJoinOperator::Consume(int port, const std::shared_ptr<arrow::RecordBatch>& batch) {
  const int64_t n = batch->num_rows();
  Side& side = sides_[port];
  const Side& other = sides_[1 - port];
  ARROW_RETURN_NOT_OK(ReadTimes(port, *batch, *side.held.schema(), side.time_column,
                                port == kLeft ? spec_.left_time : spec_.right_time, &times_));
  ARROW_RETURN_NOT_OK(keys_.Ids(port, *batch, &ids_, &valid_));
  const EventTime other_watermark = progress().watermark(1 - port);
  const int64_t size = spec_.size_us;
  const int64_t slide = spec_.slide_us;
  const uint32_t slot = side.held.Open(batch);
  std::vector<Match> matches;
  for (int64_t i = 0; i < n; ++i) {
    const auto at = static_cast<size_t>(i);
    if (!valid_[at]) continue;
    const int64_t t = times_[at];
    const uint32_t key = ids_[at];
    // Windows [start, start + size) holding t, the latest first.
    for (int64_t start = FloorDiv(t, slide) * slide; SaturatingAdd(start, size) > t; start -= slide) {
      auto window = other.windows.find(start);
      if (window != other.windows.end()) {
        auto rows = window->second.find(key);
        if (rows != window->second.end()) {
          for (const RowRef& ref : rows->second) matches.push_back(Match{start, static_cast<int32_t>(i), ref});
        }
      }
      // Held while the other side may still send rows of this window.
      if (other_watermark == kMaxWatermark || SaturatingAdd(start, size) <= other_watermark) continue;
      side.windows[start][key].push_back(side.held.Add(slot, static_cast<int32_t>(i)));
    }
  }
  Flow flow = Flow::kContinue;
  if (!matches.empty()) {
    ARROW_ASSIGN_OR_RAISE(auto joined, Joined(port, slot, matches));
    ARROW_ASSIGN_OR_RAISE(flow, Emit(Message::Batch(std::move(joined))));
  }
  side.held.Close(slot);
  return flow;
}

Result<std::shared_ptr<arrow::RecordBatch>> WindowJoinOperator::Joined(int port, uint32_t slot,
                                                                       const std::vector<Match>& matches) {
  std::vector<int64_t> starts, ends;
  std::vector<RowRef> arriving, held;
  starts.reserve(matches.size());
  ends.reserve(matches.size());
  arriving.reserve(matches.size());
  held.reserve(matches.size());
  for (const Match& m : matches) {
    starts.push_back(m.window_start);
    ends.push_back(SaturatingAdd(m.window_start, spec_.size_us));
    arriving.push_back(RowRef{slot, m.row});
    held.push_back(m.held);
  }
  ARROW_ASSIGN_OR_RAISE(auto arriving_rows, sides_[port].held.Gather(arriving));
  ARROW_ASSIGN_OR_RAISE(auto held_rows, sides_[1 - port].held.Gather(held));
  const auto& left = port == kLeft ? arriving_rows : held_rows;
  const auto& right = port == kLeft ? held_rows : arriving_rows;
  std::vector<std::shared_ptr<arrow::Array>> columns;
  ARROW_ASSIGN_OR_RAISE(auto start_column, TimestampColumn(starts));
  ARROW_ASSIGN_OR_RAISE(auto end_column, TimestampColumn(ends));
  columns.push_back(std::move(start_column));
  columns.push_back(std::move(end_column));
  for (const auto& column : left->columns()) columns.push_back(column);
  for (const auto& column : right->columns()) columns.push_back(column);
  return arrow::RecordBatch::Make(output_schema(), static_cast<int64_t>(matches.size()), std::move(columns));
}

Result<std::pair<std::shared_ptr<arrow::RecordBatch>, std::vector<uint16_t>>> WindowJoinOperator::HeldByKeyGroup(
    int port) const {
  std::vector<RowRef> refs;
  std::vector<int64_t> starts;
  for (const auto& [start, keys] : sides_[port].windows) {
    for (const auto& [key, rows] : keys) {
      refs.insert(refs.end(), rows.begin(), rows.end());
      starts.insert(starts.end(), rows.size(), start);
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto held, sides_[port].held.Gather(refs));
  ARROW_ASSIGN_OR_RAISE(auto groups, RowKeyGroups(*held, keys_.key_columns(port), num_key_groups()));
  ARROW_ASSIGN_OR_RAISE(held, held->AddColumn(0, arrow::field("window_start", arrow::int64(), /*nullable=*/false),
                                              std::make_shared<arrow::Int64Array>(
                                                  held->num_rows(), arrow::Buffer::FromVector(std::move(starts)))));
  return std::make_pair(std::move(held), std::move(groups));
}

Result<std::shared_ptr<arrow::Schema>> WindowJoinOperator::HeldSchema(int port) const {
  return sides_[port].held.schema()->AddField(0, arrow::field("window_start", arrow::int64(), /*nullable=*/false));
}

Status WindowJoinOperator::RestoreHeld(int port, const std::shared_ptr<arrow::RecordBatch>& tagged) {
  Side& side = sides_[port];
  if (tagged->num_rows() == 0) return Status::OK();
  ARROW_ASSIGN_OR_RAISE(auto rows, tagged->RemoveColumn(0));
  const auto& starts = static_cast<const arrow::Int64Array&>(*tagged->column(0));
  ARROW_RETURN_NOT_OK(keys_.Ids(port, *rows, &ids_, &valid_));
  const uint32_t slot = side.held.Open(rows);
  for (int64_t i = 0; i < rows->num_rows(); ++i) {
    if (!valid_[static_cast<size_t>(i)]) continue;
    side.windows[starts.Value(i)][ids_[static_cast<size_t>(i)]].push_back(side.held.Add(slot, static_cast<int32_t>(i)));
  }
  side.held.Close(slot);
  return Status::OK();
}

Result<std::unique_ptr<Operator>> MakeWindowJoin(const std::shared_ptr<arrow::Schema>& left,
                                                 const std::shared_ptr<arrow::Schema>& right,
                                                 const WindowJoinSpec& spec) {
  if (spec.size_us <= 0) return Status::Invalid("window join: window size must be positive, got ", spec.size_us, " us");
  if (spec.slide_us <= 0) {
    return Status::Invalid("window join: window slide must be positive, got ", spec.slide_us, " us");
  }
  if (spec.slide_us > spec.size_us) {
    return Status::Invalid("window join: window slide (", spec.slide_us, " us) must not exceed the window size (",
                           spec.size_us, " us): rows between windows would belong to none");
  }
  JoinSpec equi;
  equi.left_keys = spec.left_keys;
  equi.right_keys = spec.right_keys;
  equi.right_suffix = spec.right_suffix;
  ARROW_ASSIGN_OR_RAISE(auto keys, EventTimeJoinKeys::Make(left, right, equi, "window join"));
  WindowJoinOperator::Side l(left), r(right);
  ARROW_ASSIGN_OR_RAISE(l.time_column, ResolveTimeColumn(*left, spec.left_time, "left time column"));
  ARROW_ASSIGN_OR_RAISE(r.time_column, ResolveTimeColumn(*right, spec.right_time, "right time column"));
  ARROW_ASSIGN_OR_RAISE(auto output, WindowOutputSchema(*keys.output_schema()));
  return std::unique_ptr<Operator>(
      new WindowJoinOperator(std::move(output), spec, std::move(keys), std::move(l), std::move(r)));
}

}  // namespace sabot
