// Changelog join: a regular equi-join over unbounded inputs (a symmetric hash join),
// emitting its result as a changelog, with an optional state TTL in event time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/ops/event_time_join.h"
#include "sabot/ops/event_time_join_keys.h"
#include "sabot/ops/held_rows.h"
#include "sabot/plan/join_spec.h"

namespace sabot {

//! Input 0 is the left side, input 1 the right. Both sides' rows are held per key; each
//! arriving row probes the other side's rows of its key and is then held itself, so every
//! matching pair leaves once, when its second row arrives. Rows with a null key match
//! nothing. Output: `op` (the changelog ops of changelog_aggregate.h), then the join's
//! columns (left, then right, suffixed on clash).
//!
//! Inner joins only insert. An outer side's row that finds no match inserts itself padded
//! with nulls; when its first match arrives, that padded row is deleted and the joined
//! rows inserted, so applying the changelog in order gives the batch join's result.
//! Semi and anti joins output the left columns: a semi join inserts a left row at its
//! first match; an anti join inserts it unmatched and deletes it at its first match.
//!
//! A side's EndOfStream lets go of the other side's rows (nothing can probe them any
//! more). With `state_ttl_us` > 0 a row whose `time_column` value is at or below the
//! output watermark (the minimum of both inputs') minus the TTL leaves state without any
//! output: rows of the other side arriving later no longer see it, so the changelog then
//! describes the join of the rows still within the TTL with what they met while held.
class ChangelogJoinOperator final : public EventTimeJoinOperator {
 public:
  std::string_view name() const override { return "ChangelogJoin"; }

  //! Rows held, both sides together.
  int64_t state_rows() const override { return sides_[0].held.rows() + sides_[1].held.rows(); }

 private:
  friend Result<std::unique_ptr<Operator>> MakeChangelogJoin(const std::shared_ptr<arrow::Schema>&,
                                                             const std::shared_ptr<arrow::Schema>&, const JoinSpec&);
  //! A held row; `padded`: no match yet, so its null-padded row is in the changelog (or,
  //! in a semi join, the left row waits to be inserted).
  struct Entry {
    RowRef ref;
    bool padded;
  };
  struct Side {
    explicit Side(std::shared_ptr<arrow::Schema> schema) : held(std::move(schema)) {}
    HeldRows held;
    int time_column = -1;  // with a TTL
    bool keeps_unmatched = false;
    std::vector<std::multimap<int64_t, Entry>> by_key;  // by key id: rows by event time
    std::multimap<int64_t, uint32_t> by_time;          // with a TTL: every held row's time -> key id
  };
  //! An output row: its op and the rows it joins (kNoRow: nulls).
  struct Change {
    const char* op;
    RowRef left, right;
  };

  ChangelogJoinOperator(std::shared_ptr<arrow::Schema> output, JoinSpec spec, EventTimeJoinKeys keys, Side left,
                        Side right);

  Result<Flow> Consume(int port, const std::shared_ptr<arrow::RecordBatch>& batch) override;
  Result<Flow> Advanced(int port) override;
  //! A snapshot keeps each held row with its `padded` flag prepended.
  Result<std::pair<std::shared_ptr<arrow::RecordBatch>, std::vector<uint16_t>>> HeldByKeyGroup(
      int port) const override;
  Result<std::shared_ptr<arrow::Schema>> HeldSchema(int port) const override;
  Status RestoreHeld(int port, const std::shared_ptr<arrow::RecordBatch>& rows) override;

  //! The event times of `batch` (zeros without a TTL) into times_, ids and validity too.
  Status ReadRows(int port, const arrow::RecordBatch& batch);
  void Hold(int port, uint32_t key, int64_t time, Entry entry);
  //! Releases the rows of side `port` at or below `cutoff` (all of them at kMaxWatermark).
  Status Expire(int port, EventTime cutoff);
  Result<Flow> EmitChanges(const std::vector<Change>& changes);

  JoinSpec spec_;
  EventTimeJoinKeys keys_;
  Side sides_[2];
  std::vector<int64_t> times_;  // scratch
  std::vector<uint32_t> ids_;
  std::vector<uint8_t> valid_;
};

//! Every join type, without a residual. Errors: key lists as EventTimeJoinKeys::Make
//! (key types must be equal), a residual, a negative TTL, a TTL whose time column is not a timestamp on both inputs,
//! an input column named `op`.
Result<std::unique_ptr<Operator>> MakeChangelogJoin(const std::shared_ptr<arrow::Schema>& left,
                                                    const std::shared_ptr<arrow::Schema>& right, const JoinSpec& spec);

}  // namespace sabot
