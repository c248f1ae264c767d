// WindowAggregateOperator: assigns rows to event-time windows, aggregates each window
// with its own HashAggregateState, and emits windows as the watermark passes them.
#include "sabot/ops/window_aggregate.h"

#include <algorithm>
#include <limits>
#include <set>

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>

#include "sabot/exec/event_time.h"
#include "sabot/ops/key_group_state.h"
#include "sabot/ops/global_window_aggregate.h"
#include "sabot/ops/session_window_aggregate.h"

namespace sabot {
WindowAggregateOperator::WindowAggregateOperator(std::shared_ptr<arrow::Schema> output, WindowSpec window,
                                                 int time_column, std::unique_ptr<HashAggregateState> prototype,
                                                 WindowAggregateOptions options)
    : EventTimeWindowOperator(std::move(output)),
      window_(std::move(window)),
      time_column_(time_column),
      prototype_(std::move(prototype)),
      options_(std::move(options)) {}

WindowAggregateOperator::~WindowAggregateOperator() = default;

int64_t WindowAggregateOperator::state_rows() const {
  int64_t rows = 0;
  for (const auto& [start, window] : windows_) {
    if (window.state != nullptr) rows += window.state->num_groups();
    for (const auto& batch : window.rows) rows += batch->num_rows();
  }
  return rows;
}

Status WindowAggregateOperator::Consume(const std::shared_ptr<arrow::RecordBatch>& batch) {
  const int64_t n = batch->num_rows();
  if (n == 0) return Status::OK();
  const auto& input = *prototype_->input_schema();
  if (batch->num_columns() != input.num_fields() ||
      !batch->column_data(time_column_)->type->Equals(*input.field(time_column_)->type())) {
    return Status::TypeError("WindowAggregate: batch schema ", batch->schema()->ToString(),
                             " does not match the planned input ", input.ToString());
  }
  ARROW_RETURN_NOT_OK(ReadEventTimes(*batch->column(time_column_),
                                     "window time column '" + input.field(time_column_)->name() + "'", &times_));

  // Row indices per window start, in row order (first/last depend on it). Rows arrive
  // mostly in time order, so the previous row's window is looked up first.
  const int64_t size = window_.size_us;
  const int64_t slide = window_.slide_us;
  const int64_t max_windows = (size + slide - 1) / slide;
  std::map<int64_t, std::vector<int32_t>> rows_by_start;
  std::vector<std::pair<int64_t, std::vector<int32_t>*>> recent(
      static_cast<size_t>(max_windows), {std::numeric_limits<int64_t>::min(), nullptr});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t t = times_[static_cast<size_t>(i)];
    const int64_t last_start = FloorDiv(t, slide) * slide;
    for (int64_t j = 0; j < max_windows; ++j) {
      const int64_t start = last_start - j * slide;
      if (SaturatingAdd(start, size) <= t) break;
      auto& [cached_start, rows] = recent[static_cast<size_t>(j)];
      if (rows == nullptr || cached_start != start) {
        cached_start = start;
        rows = &rows_by_start[start];
      }
      rows->push_back(static_cast<int32_t>(i));
    }
  }

  const int64_t lateness = window_.allowed_lateness_us;
  std::vector<uint8_t> late;  // per row, allocated at the first late window
  for (auto& [start, rows] : rows_by_start) {
    if (SaturatingAdd(SaturatingAdd(start, size), lateness) <= watermark()) {
      if (late.empty()) late.assign(static_cast<size_t>(n), 0);
      for (int32_t row : rows) late[static_cast<size_t>(row)] = 1;
      continue;
    }
    if (static_cast<int64_t>(rows.size()) == n) {  // the whole batch, in order
      ARROW_RETURN_NOT_OK(AddToWindow(start, batch));
      continue;
    }
    arrow::Int32Array indices(static_cast<int64_t>(rows.size()), arrow::Buffer::Wrap(rows));
    ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(arrow::Datum(batch), arrow::Datum(indices)));
    ARROW_RETURN_NOT_OK(AddToWindow(start, taken.record_batch()));
  }

  if (!late.empty()) {
    std::vector<int32_t> late_indices;
    for (int64_t i = 0; i < n; ++i) {
      if (late[static_cast<size_t>(i)]) late_indices.push_back(static_cast<int32_t>(i));
    }
    late_rows_ += static_cast<int64_t>(late_indices.size());
    CountLateRows(static_cast<int64_t>(late_indices.size()));
    if (options_.late_sink) {
      arrow::Int32Array indices(static_cast<int64_t>(late_indices.size()), arrow::Buffer::Wrap(late_indices));
      ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(arrow::Datum(batch), arrow::Datum(indices)));
      ARROW_RETURN_NOT_OK(options_.late_sink(taken.record_batch()));
    }
  }
  return Status::OK();
}

Status WindowAggregateOperator::AddToWindow(int64_t start, const std::shared_ptr<arrow::RecordBatch>& rows) {
  auto [it, inserted] = windows_.try_emplace(start);
  Window& window = it->second;
  if (window_.allowed_lateness_us > 0) {
    window.rows.push_back(rows);
  } else {
    if (inserted) {
      ARROW_ASSIGN_OR_RAISE(window.state, prototype_->MakeEmpty());
    }
    ARROW_RETURN_NOT_OK(window.state->Consume(*rows));
  }
  if (window.emitted) window.updated = true;
  return Status::OK();
}

Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> WindowAggregateOperator::WindowResult(
    int64_t start, Window& window) {
  std::unique_ptr<HashAggregateState> state;
  if (window.state != nullptr) {
    state = std::move(window.state);
  } else {
    ARROW_ASSIGN_OR_RAISE(state, prototype_->MakeEmpty());
    for (const auto& rows : window.rows) ARROW_RETURN_NOT_OK(state->Consume(*rows));
  }
  ARROW_ASSIGN_OR_RAISE(auto results, state->Finalize());
  const auto type = WindowTimeType();
  const arrow::TimestampScalar window_start(start, type);
  const arrow::TimestampScalar window_end(SaturatingAdd(start, window_.size_us), type);
  for (auto& result : results) {
    const int64_t rows = result->num_rows();
    ARROW_ASSIGN_OR_RAISE(auto starts, arrow::MakeArrayFromScalar(window_start, rows));
    ARROW_ASSIGN_OR_RAISE(auto ends, arrow::MakeArrayFromScalar(window_end, rows));
    std::vector<std::shared_ptr<arrow::Array>> columns = {starts, ends};
    for (const auto& column : result->columns()) columns.push_back(column);
    result = arrow::RecordBatch::Make(output_schema(), rows, std::move(columns));
  }
  return results;
}

Result<Flow> WindowAggregateOperator::CloseWindows() {
  const EventTime watermark = this->watermark();
  const int64_t size = window_.size_us;
  std::vector<std::shared_ptr<arrow::RecordBatch>> out;
  // Every window has the same size, so start order is end order: stop at the first
  // window the watermark has not passed.
  for (auto it = windows_.begin(); it != windows_.end();) {
    const int64_t end = SaturatingAdd(it->first, size);
    if (end > watermark) break;
    Window& window = it->second;
    const bool expired = SaturatingAdd(end, window_.allowed_lateness_us) <= watermark;
    if (!window.emitted || window.updated) {
      ARROW_ASSIGN_OR_RAISE(auto results, WindowResult(it->first, window));
      for (auto& result : results) out.push_back(std::move(result));
    }
    if (expired) {
      it = windows_.erase(it);
    } else {
      window.emitted = true;
      window.updated = false;
      ++it;
    }
  }
  return EmitResults(out);
}

Result<std::vector<int64_t>> WindowAggregateOperator::StateRowsByKeyGroup() const {
  std::vector<int64_t> counts(static_cast<size_t>(key_group_range().end - key_group_range().begin), 0);
  for (const auto& [start, window] : windows_) {
    if (window.state != nullptr) {
      ARROW_RETURN_NOT_OK(CountGroupsByKeyGroup(*window.state, num_key_groups(), key_group_range(), &counts));
    }
    for (const auto& rows : window.rows) {
      ARROW_ASSIGN_OR_RAISE(auto groups, RowKeyGroups(*rows, prototype_->key_columns(), num_key_groups()));
      ARROW_RETURN_NOT_OK(CountByKeyGroup(groups, key_group_range(), &counts));
    }
  }
  return counts;
}

namespace {

std::shared_ptr<arrow::Schema> WindowsSchema() {
  return arrow::schema({arrow::field("window_start", arrow::int64(), /*nullable=*/false),
                        arrow::field("emitted", arrow::boolean()), arrow::field("updated", arrow::boolean())});
}

// A snapshot section's schema: `rows` with the window start (int64) prepended.
std::shared_ptr<arrow::Schema> TaggedSchema(const arrow::Schema& rows) {
  return rows.AddField(0, arrow::field("window_start", arrow::int64(), /*nullable=*/false)).ValueOrDie();
}

}  // namespace

// Sections: the windows (start, emitted, updated), then their groups (SaveGroups) and
// their held rows, each row tagged with its window's start. A window appears when it
// holds state of these key groups.
Result<std::shared_ptr<arrow::Buffer>> WindowAggregateOperator::SnapshotKeyGroups(KeyGroupRange groups) const {
  ARROW_ASSIGN_OR_RAISE(auto empty_groups, prototype_->SaveGroups({}));
  const auto groups_schema = TaggedSchema(*empty_groups->schema());
  const auto rows_schema = TaggedSchema(*prototype_->input_schema());
  arrow::Int64Builder starts;
  arrow::BooleanBuilder emitted, updated;
  std::vector<std::shared_ptr<arrow::RecordBatch>> saved_groups, saved_rows;
  for (const auto& [start, window] : windows_) {
    int64_t held = 0;
    if (window.state != nullptr) {
      ARROW_ASSIGN_OR_RAISE(auto saved, SaveKeyGroups(*window.state, num_key_groups(), groups));
      held += saved->num_rows();
      ARROW_ASSIGN_OR_RAISE(saved, PrependInt64(saved, "window_start", start));
      saved_groups.push_back(std::move(saved));
    }
    for (const auto& rows : window.rows) {
      ARROW_ASSIGN_OR_RAISE(auto key_groups, RowKeyGroups(*rows, prototype_->key_columns(), num_key_groups()));
      ARROW_ASSIGN_OR_RAISE(auto kept, RowsInKeyGroups(rows, key_groups, groups));
      if (kept == nullptr) continue;
      held += kept->num_rows();
      ARROW_ASSIGN_OR_RAISE(kept, PrependInt64(kept, "window_start", start));
      saved_rows.push_back(std::move(kept));
    }
    if (held == 0) continue;
    ARROW_RETURN_NOT_OK(starts.Append(start));
    ARROW_RETURN_NOT_OK(emitted.Append(window.emitted));
    ARROW_RETURN_NOT_OK(updated.Append(window.updated));
  }
  ARROW_ASSIGN_OR_RAISE(auto start_array, starts.Finish());
  ARROW_ASSIGN_OR_RAISE(auto emitted_array, emitted.Finish());
  ARROW_ASSIGN_OR_RAISE(auto updated_array, updated.Finish());
  KeyGroupSnapshotContents contents{std::string(name()), num_key_groups(), groups, watermark(), {}};
  contents.sections.push_back(
      arrow::RecordBatch::Make(WindowsSchema(), start_array->length(), {start_array, emitted_array, updated_array}));
  ARROW_ASSIGN_OR_RAISE(auto all_groups, ConcatenateOrEmpty(groups_schema, saved_groups));
  ARROW_ASSIGN_OR_RAISE(auto all_rows, ConcatenateOrEmpty(rows_schema, saved_rows));
  contents.sections.push_back(std::move(all_groups));
  contents.sections.push_back(std::move(all_rows));
  return EncodeKeyGroupSnapshot(contents);
}

Status WindowAggregateOperator::RestoreKeyGroups(const arrow::Buffer& snapshot) {
  ARROW_ASSIGN_OR_RAISE(auto empty_groups, prototype_->SaveGroups({}));
  ARROW_ASSIGN_OR_RAISE(
      auto contents,
      DecodeKeyGroupSnapshot(snapshot, std::string(name()), *this,
                             {WindowsSchema(), TaggedSchema(*empty_groups->schema()),
                              TaggedSchema(*prototype_->input_schema())}));
  RestoreWatermark(contents.watermark);
  const auto& windows = *contents.sections[0];
  const auto& starts = static_cast<const arrow::Int64Array&>(*windows.column(0));
  const auto& emitted = static_cast<const arrow::BooleanArray&>(*windows.column(1));
  const auto& updated = static_cast<const arrow::BooleanArray&>(*windows.column(2));
  for (int64_t i = 0; i < windows.num_rows(); ++i) {
    Window& window = windows_[starts.Value(i)];
    window.emitted = window.emitted || emitted.Value(i);
    window.updated = window.updated || updated.Value(i);
  }
  auto held_window = [&](int64_t start) -> Result<Window*> {
    auto it = windows_.find(start);
    if (it == windows_.end()) {
      return Status::Invalid(name(), " snapshot: state of window ", start, " which the snapshot does not list");
    }
    return &it->second;
  };
  auto load_groups = [&](int64_t start, std::shared_ptr<arrow::RecordBatch> saved) -> Status {
    ARROW_ASSIGN_OR_RAISE(Window * window, held_window(start));
    if (window->state == nullptr) {
      ARROW_ASSIGN_OR_RAISE(window->state, prototype_->MakeEmpty());
    }
    return window->state->LoadGroups(*saved).status();
  };
  ARROW_RETURN_NOT_OK(ForEachTagged(contents.sections[1], load_groups));
  return ForEachTagged(contents.sections[2], [&](int64_t start, std::shared_ptr<arrow::RecordBatch> rows) {
    ARROW_ASSIGN_OR_RAISE(Window * window, held_window(start));
    window->rows.push_back(std::move(rows));
    return Status::OK();
  });
}

Result<std::unique_ptr<Operator>> MakeWindowAggregate(const std::shared_ptr<arrow::Schema>& input,
                                                      const WindowSpec& window,
                                                      const std::vector<std::string>& keys,
                                                      const std::vector<AggregateSpec>& aggregates,
                                                      WindowAggregateOptions options) {
  if (window.kind == WindowSpec::Kind::kSession) {
    return MakeSessionWindowAggregate(input, window, keys, aggregates, std::move(options));
  }
  if (window.kind == WindowSpec::Kind::kGlobal) {  // nothing is ever late for it
    return MakeGlobalWindowAggregate(input, window, keys, aggregates);
  }
  WindowSpec spec = window;
  if (spec.kind == WindowSpec::Kind::kTumbling && spec.slide_us == 0) spec.slide_us = spec.size_us;
  if (spec.size_us <= 0) return Status::Invalid("window size must be positive, got ", spec.size_us, " us");
  if (spec.slide_us <= 0) return Status::Invalid("window slide must be positive, got ", spec.slide_us, " us");
  if (spec.slide_us > spec.size_us) {
    return Status::Invalid("window slide (", spec.slide_us, " us) must not exceed the window size (", spec.size_us,
                           " us): rows between windows would belong to none");
  }
  if (spec.kind == WindowSpec::Kind::kTumbling && spec.slide_us != spec.size_us) {
    return Status::Invalid("a tumbling window's slide (", spec.slide_us, " us) must equal its size (", spec.size_us,
                           " us)");
  }
  if (spec.allowed_lateness_us < 0) {
    return Status::Invalid("allowed lateness must not be negative, got ", spec.allowed_lateness_us, " us");
  }
  ARROW_ASSIGN_OR_RAISE(const int time_column, ResolveTimeColumn(*input, spec.time_column, "window time column"));
  ARROW_ASSIGN_OR_RAISE(auto prototype, HashAggregateState::Make(input, keys, aggregates));
  ARROW_ASSIGN_OR_RAISE(auto output, WindowOutputSchema(*prototype->output_schema()));
  return std::unique_ptr<Operator>(new WindowAggregateOperator(std::move(output), std::move(spec),
                                                               time_column, std::move(prototype),
                                                               std::move(options)));
}

}  // namespace sabot
