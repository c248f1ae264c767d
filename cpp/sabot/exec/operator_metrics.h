// Per-operator metrics: what each plan step emitted and the time it spent on its own,
// summed over every thread's copy of the step.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace sabot {

//! One plan step's counters. The copies of the step on different threads add into the
//! same counters (relaxed atomics: once per message, not per row).
struct OperatorMetrics {
  std::string label;  //!< the step as explain shows it, e.g. "Filter((x > 1))"
  int depth = 0;      //!< in the plan tree, 0 at the root
  std::atomic<int64_t> rows_in{0};
  std::atomic<int64_t> batches_in{0};
  std::atomic<int64_t> rows_out{0};
  std::atomic<int64_t> batches_out{0};
  //! Time inside the step's Push minus the time inside the steps it emitted to: its own
  //! work. A sink's includes waiting for its consumer (backpressure).
  std::atomic<int64_t> busy_ns{0};
  //! The most rows one copy of the step held as state after a message (see
  //! Operator::state_rows): what a streaming step's memory grows with.
  std::atomic<int64_t> peak_state_rows{0};
  //! Rows an event-time step received after its allowed lateness (windows): not
  //! aggregated, counted here and handed to the step's late-row side output.
  std::atomic<int64_t> late_rows{0};
  //! Keys whose state a state TTL removed (keyed process functions).
  std::atomic<int64_t> expired_keys{0};
  //! Rows the Parquet scan under the step skipped unread, row groups whose statistics
  //! show that no row passes (RowGroupPruning): the step's filter, or the range of the
  //! step's join build keys. Not in rows_in.
  std::atomic<int64_t> skipped_rows{0};
};

//! A snapshot of OperatorMetrics, for reports.
struct OperatorStats {
  std::string label;
  int depth = 0;
  int64_t rows_in = 0, batches_in = 0, rows_out = 0, batches_out = 0;
  std::chrono::nanoseconds busy{0};
  int64_t peak_state_rows = 0;
  int64_t late_rows = 0;
  int64_t expired_keys = 0;
  int64_t skipped_rows = 0;
};

//! The metrics of one job's steps, in plan order (root first). Thread-safe to add to.
class PlanMetrics {
 public:
  //! A new slot for step `key` (a plan node); its address stays valid as long as this
  //! object. Add steps in the order reports should list them.
  OperatorMetrics* Add(const void* key, std::string label, int depth);
  //! The slot of `key`; null when it has none.
  OperatorMetrics* Find(const void* key) const;
  std::vector<OperatorStats> Snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::deque<OperatorMetrics> slots_;
  std::vector<std::pair<const void*, OperatorMetrics*>> index_;
};

//! A table of `stats`, one line a step, indented by depth: rows and batches in and out,
//! own time and its share of the total, and, when a step kept state (streaming windows
//! and joins), a column with each step's peak state rows; when a step saw rows past their
//! allowed lateness, a column with each step's late rows; when a state TTL removed keys,
//! a column with each step's expired keys; when a scan's filter skipped row groups by
//! their statistics, a last column with each step's skipped rows.
std::string FormatOperatorStats(const std::vector<OperatorStats>& stats);

}  // namespace sabot
