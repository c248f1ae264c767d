// EventTimeWindowOperator: the message handling shared by the event-time window
// operators (fixed windows and sessions).
#pragma once

#include <algorithm>
#include <limits>
#include <memory>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/exec/operator.h"

namespace sabot {

//! The type of window_start and window_end.
std::shared_ptr<arrow::DataType> WindowTimeType();

//! window_start, window_end, then the columns of `groups` (keys and aggregates); an
//! error names a column that clashes with the window columns.
Result<std::shared_ptr<arrow::Schema>> WindowOutputSchema(const arrow::Schema& groups);

//! A batch is consumed, then whatever the current watermark already closes leaves (a
//! window created late, or an update within allowed lateness). A Watermark advances
//! time: closed windows first, then the watermark. EndOfStream closes every window,
//! then ends. Barriers pass; the checkpoint snapshots key groups (KeyGroupSnapshots).
class EventTimeWindowOperator : public Operator {
 public:
  Result<Flow> Push(int port, Message message) final;

 protected:
  using Operator::Operator;

  virtual Status Consume(const std::shared_ptr<arrow::RecordBatch>& batch) = 0;
  //! Emits the windows that watermark() closes and drops those past their lateness.
  virtual Result<Flow> CloseWindows() = 0;

  //! Emits `results` (output schema) in batches of at most kMaxAggregateOutputRows.
  Result<Flow> EmitResults(const std::vector<std::shared_ptr<arrow::RecordBatch>>& results);
  EventTime watermark() const { return watermark_; }
  //! Restoring state: event time is at least `watermark` (the snapshot's).
  void RestoreWatermark(EventTime watermark) { watermark_ = std::max(watermark_, watermark); }
  //! Adds `rows` past their allowed lateness to the step's late-rows metric.
  void CountLateRows(int64_t rows) {
    if (metrics() != nullptr) metrics()->late_rows.fetch_add(rows, std::memory_order_relaxed);
  }

 private:
  EventTime watermark_ = std::numeric_limits<EventTime>::min();
};

}  // namespace sabot
