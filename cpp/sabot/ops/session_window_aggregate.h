// Session windows: per key, rows whose event times are less than a gap apart form one
// session; a session closes once the watermark passes its last row + gap.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/ops/event_time_window.h"
#include "sabot/ops/hash_aggregate.h"
#include "sabot/ops/window_aggregate.h"
#include "sabot/plan/aggregate_spec.h"
#include "sabot/plan/window_spec.h"
#include "sabot/state/key_group_snapshot.h"

namespace arrow::compute {
class Grouper;
}  // namespace arrow::compute

namespace sabot {

//! Groups rows by key into sessions: a session is [first event, last event + gap); two
//! sessions of one key that come closer than the gap (a row bridging them) merge into
//! one. Output rows: window_start (first event), window_end (last event + gap), the keys,
//! the aggregates, as the other windows.
//!
//! A Watermark w emits every session with window_end <= w, in end order (see
//! EventTimeWindowOperator for the message handling).
//!
//! Late rows: the rows of one key in one batch that are less than a gap apart are
//! placed together. If they join no session still held and their own session would
//! already be past end + allowed lateness, they are late: counted (late_rows()) and
//! handed to the late sink. With allowed lateness L, an emitted session is held until
//! the watermark reaches its end + L; rows that extend it, or merge it with another,
//! re-emit the whole session (new bounds, full result) once the watermark passes its
//! (new) end. The update supersedes the earlier rows of the sessions it covers.
//!
//! Sessions are keyed state (KeyGroupSnapshots): a snapshot holds each session's bounds
//! and flags and its rows.
class SessionWindowAggregateOperator final : public EventTimeWindowOperator, public KeyGroupSnapshots {
 public:
  ~SessionWindowAggregateOperator() override;
  std::string_view name() const override { return "SessionWindowAggregate"; }

  //! Rows that came too late for their session.
  int64_t late_rows() const { return late_rows_; }
  //! Sessions held in state: open ones plus emitted ones kept for allowed lateness.
  int64_t state_windows() const { return static_cast<int64_t>(by_end_.size()); }
  //! Input rows those sessions hold.
  int64_t state_rows() const override { return state_rows_; }

  Result<std::vector<int64_t>> StateRowsByKeyGroup() const override;
  Result<std::shared_ptr<arrow::Buffer>> SnapshotKeyGroups(KeyGroupRange groups) const override;
  Status RestoreKeyGroups(const arrow::Buffer& snapshot) override;

 private:
  friend Result<std::unique_ptr<Operator>> MakeSessionWindowAggregate(const std::shared_ptr<arrow::Schema>&,
                                                                      const WindowSpec&,
                                                                      const std::vector<std::string>&,
                                                                      const std::vector<AggregateSpec>&,
                                                                      WindowAggregateOptions);
  struct Session {
    int64_t last = 0;  // the latest event time
    // Kept as rows, not as a running aggregate: sessions merge, and aggregate states
    // cannot be combined after the fact without a merge per session.
    std::vector<std::shared_ptr<arrow::RecordBatch>> rows;
    int64_t num_rows = 0;
    bool emitted = false;
    bool updated = false;  // emitted, then took more rows
  };
  using KeySessions = std::map<int64_t, Session>;                // by first event time
  using EndEntry = std::tuple<int64_t, uint32_t, int64_t>;       // window end, key id, start

  SessionWindowAggregateOperator(std::shared_ptr<arrow::Schema> output, WindowSpec window,
                                 std::shared_ptr<arrow::Schema> input, int time_column, std::vector<int> key_columns,
                                 std::unique_ptr<arrow::compute::Grouper> grouper,
                                 std::unique_ptr<HashAggregateState> prototype, WindowAggregateOptions options);

  Status Consume(const std::shared_ptr<arrow::RecordBatch>& batch) override;
  Result<std::vector<uint32_t>> KeyIds(const arrow::RecordBatch& batch);
  //! Adds rows [first, last] of key `key` to its sessions, merging the ones they touch;
  //! returns false (adding nothing) when they are late.
  bool AddRun(uint32_t key, int64_t first, int64_t last, std::shared_ptr<arrow::RecordBatch> rows);
  int64_t End(int64_t last) const;
  Result<Flow> CloseWindows() override;
  struct Closed {
    int64_t start, end;
    std::vector<std::shared_ptr<arrow::RecordBatch>> rows;
  };
  Result<std::shared_ptr<arrow::RecordBatch>> Aggregate(const std::vector<Closed>& sessions);
  //! The key group of each key id.
  Result<std::vector<uint16_t>> KeyIdGroups() const;

  WindowSpec window_;
  std::shared_ptr<arrow::Schema> input_;
  int time_column_;
  std::vector<int> key_columns_;
  std::unique_ptr<arrow::compute::Grouper> grouper_;  // null without keys: every row has key id 0
  std::unique_ptr<HashAggregateState> prototype_;     // groups by (session id, keys)
  WindowAggregateOptions options_;
  std::vector<KeySessions> sessions_;  // by key id
  std::set<EndEntry> by_end_;          // every held session, in end order
  int64_t late_rows_ = 0;
  int64_t state_rows_ = 0;
  std::vector<int64_t> times_;  // scratch: the batch's event times in microseconds
};

//! Output schema as MakeWindowAggregate. Errors: a gap that is not positive, negative
//! lateness, a time column that is missing or not a timestamp, unknown keys/aggregates.
Result<std::unique_ptr<Operator>> MakeSessionWindowAggregate(const std::shared_ptr<arrow::Schema>& input,
                                                             const WindowSpec& window,
                                                             const std::vector<std::string>& keys,
                                                             const std::vector<AggregateSpec>& aggregates,
                                                             WindowAggregateOptions options = {});

}  // namespace sabot
