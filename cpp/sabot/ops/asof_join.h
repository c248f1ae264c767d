// As-of join: each left row meets the latest right row of its key at or before its event
// time; left rows wait until the right watermark proves no better match can still come.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/ops/event_time_join.h"
#include "sabot/ops/event_time_join_keys.h"
#include "sabot/ops/held_rows.h"
#include "sabot/plan/asof_join_spec.h"
#include "sabot/plan/temporal_join_spec.h"

namespace sabot {

//! Input 0 is the left side, input 1 the right. A left row at time t leaves once the
//! right watermark reaches t (later right rows are all after t), joined with the right
//! row of its key with the greatest time <= t (within the tolerance), or, for a left
//! join, with nulls. Rows with a null key match nothing.
//!
//! Right state per key: every row above the horizon -- the least time a pending or
//! future left row can have, min(left watermark, oldest pending left row) -- plus the
//! newest row at or below it (with a tolerance, only while within it of the horizon).
//! Once the left input ended and no left row waits, no right row is held.
//! A side's EndOfStream is its watermark +infinity. The output watermark is the minimum
//! of the inputs'; waiting left rows leave before it. Barriers leave once every open
//! input sent them; EndOfStream once both inputs ended. Rows that arrive behind their own
//! watermark are joined with what is held.
class AsofJoinOperator final : public EventTimeJoinOperator {
 public:
  std::string_view name() const override { return name_; }

  //! Left rows waiting plus right rows held.
  int64_t state_rows() const override { return left_.rows() + right_.rows(); }
  int64_t right_state_rows() const { return right_.rows(); }
  //! Input batches those rows keep alive.
  int64_t state_batches() const { return left_.batches() + right_.batches(); }

 private:
  friend Result<std::unique_ptr<Operator>> MakeAsofJoin(const std::shared_ptr<arrow::Schema>&,
                                                        const std::shared_ptr<arrow::Schema>&, const AsofJoinSpec&);
  friend Result<std::unique_ptr<Operator>> MakeTemporalJoin(const std::shared_ptr<arrow::Schema>&,
                                                            const std::shared_ptr<arrow::Schema>&,
                                                            const TemporalJoinSpec&);
  struct Waiting {
    RowRef ref;
    uint32_t key;
  };
  struct RightRow {
    RowRef ref;
    bool deleted;  // a changelog delete: the key has no row from its time on
  };
  using TimeKey = std::pair<int64_t, uint32_t>;

  //! Checks `spec` and builds the operator: `name` as it shows in metrics, `what` names
  //! the join in errors ("as-of join"), `right_time_role` its right time column.
  //! `op_column` >= 0: the right input is a changelog whose op column says what a row is.
  static Result<std::unique_ptr<Operator>> Make(const std::shared_ptr<arrow::Schema>& left,
                                                const std::shared_ptr<arrow::Schema>& right, const AsofJoinSpec& spec,
                                                std::string_view name, const std::string& what,
                                                const std::string& right_time_role, int op_column);
  AsofJoinOperator(std::string_view name, AsofJoinSpec spec, EventTimeJoinKeys keys,
                   std::shared_ptr<arrow::Schema> left, std::shared_ptr<arrow::Schema> right, int left_time,
                   int right_time, int op_column);

  Result<Flow> Consume(int port, const std::shared_ptr<arrow::RecordBatch>& batch) override;
  //! The right watermark decides waiting left rows; either moves the horizon.
  Result<Flow> Advanced(int port) override;
  Result<Flow> ConsumeLeft(const std::shared_ptr<arrow::RecordBatch>& batch);
  Status ConsumeRight(const std::shared_ptr<arrow::RecordBatch>& batch);
  //! The right row a left row of `key` at `t` meets, or kNoRow.
  RowRef Match(uint32_t key, int64_t t) const;
  //! Emits (left row, its match) for the waiting rows the right watermark now decides.
  Result<Flow> EmitDecided();
  //! Output rows for left rows `lefts` and their matches `rights`; releases the lefts.
  Result<Flow> EmitJoined(std::vector<RowRef> lefts, std::vector<RowRef> rights);
  //! Moves the horizon up to what the left side can still need and drops right rows
  //! nothing can match any more.
  Status PruneRight();
  Status DropRight(uint32_t key, std::map<int64_t, RightRow>::iterator row);
  //! Per row of a right batch: 1 a new row, 0 ignored (update_before), -1 a delete.
  Status ReadOps(const arrow::RecordBatch& batch);
  //! A snapshot keeps the waiting left rows, and the held right rows with a `deleted`
  //! flag prepended; restoring recomputes the horizon from them.
  Result<std::pair<std::shared_ptr<arrow::RecordBatch>, std::vector<uint16_t>>> HeldByKeyGroup(
      int port) const override;
  Result<std::shared_ptr<arrow::Schema>> HeldSchema(int port) const override;
  Status RestoreHeld(int port, const std::shared_ptr<arrow::RecordBatch>& rows) override;

  std::string_view name_;
  AsofJoinSpec spec_;
  int op_column_;
  EventTimeJoinKeys keys_;
  int time_column_[2];
  HeldRows left_, right_;
  std::multimap<int64_t, Waiting> waiting_;             // left rows by event time
  std::vector<std::map<int64_t, RightRow>> by_key_;     // right rows by key id, then time
  std::set<TimeKey> above_;                             // right rows above the horizon
  std::set<TimeKey> floors_;                            // each key's newest row at or below it
  int64_t horizon_ = std::numeric_limits<int64_t>::min();
  std::vector<int64_t> times_;  // scratch
  std::vector<uint32_t> ids_;
  std::vector<uint8_t> valid_;
  std::vector<int8_t> ops_;
};

//! Errors: a join type other than inner or left, a negative tolerance, a key list that
//! is empty or of unequal length, an unknown key or time column, key types that differ,
//! a time column that is not a timestamp.
Result<std::unique_ptr<Operator>> MakeAsofJoin(const std::shared_ptr<arrow::Schema>& left,
                                               const std::shared_ptr<arrow::Schema>& right, const AsofJoinSpec& spec);

}  // namespace sabot
