// Event-time window aggregation: rows go to tumbling or sliding windows by a timestamp
// column, are grouped by key within each window, and each window's result is emitted
// once the watermark passes its end. Session windows: session_window_aggregate.h.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/ops/event_time_window.h"
#include "sabot/ops/hash_aggregate.h"
#include "sabot/plan/aggregate_spec.h"
#include "sabot/plan/window_spec.h"
#include "sabot/state/key_group_snapshot.h"

namespace sabot {

struct WindowAggregateOptions {
  //! Receives the rows that came too late for at least one of their windows (that
  //! window's end + allowed lateness <= the watermark), in the input schema. Such rows
  //! are always counted (late_rows()); without a sink they are counted only. A row late
  //! for some of its sliding windows still counts in the windows that are open.
  std::function<Status(std::shared_ptr<arrow::RecordBatch>)> late_sink;
};

//! Groups rows by (window, keys). A Watermark w emits every window with end <= w that
//! was not emitted yet, in window-start order, then forwards w; EndOfStream emits every
//! window not emitted yet, then forwards EndOfStream. Barriers are forwarded. Each
//! window's groups (or held rows) are keyed state: KeyGroupSnapshots counts, snapshots and
//! restores them per key group of their keys.
//!
//! Allowed lateness L > 0: a window is kept until the watermark reaches end + L. A row
//! that arrives for an emitted, still-kept window re-emits that window's full updated
//! result after the batch that carried it, as new rows with the same window_start and
//! window_end (a changelog `op` column comes later). Since an aggregate state is spent
//! by Finalize, windows then keep their input rows and aggregate them at each emission.
class WindowAggregateOperator final : public EventTimeWindowOperator, public KeyGroupSnapshots {
 public:
  ~WindowAggregateOperator() override;
  std::string_view name() const override { return "WindowAggregate"; }

  //! Rows that came too late for at least one of their windows.
  int64_t late_rows() const { return late_rows_; }
  //! Windows held in state: open ones plus emitted ones kept for allowed lateness.
  int64_t state_windows() const { return static_cast<int64_t>(windows_.size()); }
  //! Rows of state: input rows held for allowed lateness plus groups of open aggregates.
  int64_t state_rows() const override;

  Result<std::vector<int64_t>> StateRowsByKeyGroup() const override;
  Result<std::shared_ptr<arrow::Buffer>> SnapshotKeyGroups(KeyGroupRange groups) const override;
  Status RestoreKeyGroups(const arrow::Buffer& snapshot) override;

 private:
  friend Result<std::unique_ptr<Operator>> MakeWindowAggregate(const std::shared_ptr<arrow::Schema>&,
                                                               const WindowSpec&,
                                                               const std::vector<std::string>&,
                                                               const std::vector<AggregateSpec>&,
                                                               WindowAggregateOptions);
  struct Window {
    std::unique_ptr<HashAggregateState> state;                 // without lateness
    std::vector<std::shared_ptr<arrow::RecordBatch>> rows;     // with lateness
    bool emitted = false;
    bool updated = false;  // emitted, then took late rows
  };

  WindowAggregateOperator(std::shared_ptr<arrow::Schema> output, WindowSpec window, int time_column,
                          std::unique_ptr<HashAggregateState> prototype, WindowAggregateOptions options);

  Status Consume(const std::shared_ptr<arrow::RecordBatch>& batch) override;
  Status AddToWindow(int64_t start, const std::shared_ptr<arrow::RecordBatch>& rows);
  //! The window's result with window_start/window_end prepended; keeps the window's
  //! rows when it keeps them.
  Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> WindowResult(int64_t start, Window& window);
  Result<Flow> CloseWindows() override;

  WindowSpec window_;
  int time_column_;
  std::unique_ptr<HashAggregateState> prototype_;  // empty; the layout every window copies
  WindowAggregateOptions options_;
  std::map<int64_t, Window> windows_;  // by window start
  int64_t late_rows_ = 0;
  std::vector<int64_t> times_;  // scratch: the batch's event times in microseconds
};

//! A session window (WindowSpec::Kind::kSession) is made by MakeSessionWindowAggregate,
//! a global one (kGlobal) by MakeGlobalWindowAggregate.
//! Output schema: window_start timestamp[us], window_end timestamp[us], the keys, then
//! the aggregates (as MakeHashAggregate). The time column must be a timestamp of any
//! unit (read as microseconds, nanoseconds rounded down); a null event time is an error.
//! Window starts are multiples of the slide since the epoch.
Result<std::unique_ptr<Operator>> MakeWindowAggregate(const std::shared_ptr<arrow::Schema>& input,
                                                      const WindowSpec& window,
                                                      const std::vector<std::string>& keys,
                                                      const std::vector<AggregateSpec>& aggregates,
                                                      WindowAggregateOptions options = {});

}  // namespace sabot
