// Interval join: an event-time join that buffers both inputs per key and forgets a row
// once the other input's watermark proves nothing can match it any more.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/ops/event_time_join.h"
#include "sabot/ops/event_time_join_keys.h"
#include "sabot/ops/held_rows.h"
#include "sabot/plan/interval_join_spec.h"

namespace sabot {

//! Input 0 is the left side, input 1 the right. Each arriving batch is matched against
//! the rows held from the other side, then its rows are held, so every matching pair
//! leaves once, as soon as its second row arrives. Rows with a null key match nothing.
//!
//! A left row at time t matches right rows in [t + lower, t + upper]; once the right
//! watermark reaches t + upper it is dropped. A right row at time t matches left rows in
//! [t - upper, t - lower]; once the left watermark reaches t - lower it is dropped. A
//! side's EndOfStream is its watermark +infinity, so state is empty once both ended.
//! Rows that arrive behind their own watermark still match what is held. The output
//! watermark is the minimum of the inputs'; barriers leave once every open input sent
//! them; EndOfStream once both inputs ended.
class IntervalJoinOperator final : public EventTimeJoinOperator {
 public:
  std::string_view name() const override { return "IntervalJoin"; }

  //! Rows held, both sides together.
  int64_t state_rows() const override { return sides_[0].held.rows() + sides_[1].held.rows(); }
  //! Input batches those rows keep alive.
  int64_t state_batches() const { return sides_[0].held.batches() + sides_[1].held.batches(); }

 private:
  friend Result<std::unique_ptr<Operator>> MakeIntervalJoin(const std::shared_ptr<arrow::Schema>&,
                                                            const std::shared_ptr<arrow::Schema>&,
                                                            const IntervalJoinSpec&);
  struct Side {
    explicit Side(std::shared_ptr<arrow::Schema> schema) : held(std::move(schema)) {}
    HeldRows held;
    int time_column = 0;
    std::vector<std::multimap<int64_t, RowRef>> by_key;  // by key id: rows by event time
    std::multimap<int64_t, uint32_t> by_time;           // every held row's time -> key id
  };

  IntervalJoinOperator(IntervalJoinSpec spec, EventTimeJoinKeys keys, Side left, Side right);

  Result<Flow> Consume(int port, const std::shared_ptr<arrow::RecordBatch>& batch) override;
  //! Drops the rows of the other side that this side's watermark rules out.
  Result<Flow> Advanced(int port) override;
  //! A snapshot keeps the held rows as they are.
  Result<std::pair<std::shared_ptr<arrow::RecordBatch>, std::vector<uint16_t>>> HeldByKeyGroup(
      int port) const override;
  Result<std::shared_ptr<arrow::Schema>> HeldSchema(int port) const override { return sides_[port].held.schema(); }
  Status RestoreHeld(int port, const std::shared_ptr<arrow::RecordBatch>& rows) override;

  IntervalJoinSpec spec_;
  EventTimeJoinKeys keys_;  // key ids shared by both sides
  Side sides_[2];
  std::vector<int64_t> times_;  // scratch
  std::vector<uint32_t> ids_;
  std::vector<uint8_t> valid_;
};

//! Errors: a key list that is empty or of unequal length, an unknown key or time column,
//! key types that differ, a time column that is not a timestamp, lower > upper.
Result<std::unique_ptr<Operator>> MakeIntervalJoin(const std::shared_ptr<arrow::Schema>& left,
                                                   const std::shared_ptr<arrow::Schema>& right,
                                                   const IntervalJoinSpec& spec);

}  // namespace sabot
