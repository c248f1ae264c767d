// Interval join: an event-time join that buffers both inputs per key and forgets a row
// once the other input's watermark proves nothing can match it any more.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/exec/operator.h"
#include "sabot/plan/interval_join_spec.h"

namespace arrow::compute {
class Grouper;
}  // namespace arrow::compute

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
class IntervalJoinOperator final : public Operator {
 public:
  ~IntervalJoinOperator() override;
  std::string_view name() const override { return "IntervalJoin"; }
  int num_inputs() const override { return 2; }
  Result<Flow> Push(int port, Message message) override;

  //! Rows held, both sides together.
  int64_t state_rows() const override { return sides_[0].rows + sides_[1].rows; }
  //! Input batches those rows keep alive.
  int64_t state_batches() const {
    return static_cast<int64_t>(sides_[0].batches.size() + sides_[1].batches.size());
  }

 private:
  friend Result<std::unique_ptr<Operator>> MakeIntervalJoin(const std::shared_ptr<arrow::Schema>&,
                                                            const std::shared_ptr<arrow::Schema>&,
                                                            const IntervalJoinSpec&);
  struct RowRef {
    uint32_t slot;  // which held batch
    int32_t row;
  };
  struct HeldBatch {
    std::shared_ptr<arrow::RecordBatch> batch;
    int64_t live_rows = 0;
  };
  struct Side {
    std::shared_ptr<arrow::Schema> schema;
    int time_column = 0;
    std::vector<int> key_columns;
    std::unordered_map<uint32_t, HeldBatch> batches;
    uint32_t next_slot = 0;
    std::vector<std::multimap<int64_t, RowRef>> by_key;  // by key id: rows by event time
    std::multimap<int64_t, uint32_t> by_time;           // every held row's time -> key id
    int64_t rows = 0;
    EventTime watermark = std::numeric_limits<EventTime>::min();
    bool ended = false;
    bool idle = false;  // declared idle: left out of the output watermark until it speaks
  };

  IntervalJoinOperator(std::shared_ptr<arrow::Schema> output, IntervalJoinSpec spec, Side left, Side right,
                       std::unique_ptr<arrow::compute::Grouper> grouper);

  Result<Flow> Consume(int port, const std::shared_ptr<arrow::RecordBatch>& batch);
  //! Drops the rows of side `port` that the other side's watermark rules out.
  Status Expire(int port);
  Result<Flow> AdvanceWatermark();
  //! Output rows for (probe row, held row) pairs; `probe_is_left` says which is which.
  Result<std::shared_ptr<arrow::RecordBatch>> Matches(const std::shared_ptr<arrow::RecordBatch>& probe,
                                                      bool probe_is_left, std::vector<std::pair<int32_t, RowRef>> pairs,
                                                      const Side& held);

  IntervalJoinSpec spec_;
  std::array<Side, 2> sides_;
  std::unique_ptr<arrow::compute::Grouper> grouper_;  // key ids shared by both sides
  EventTime emitted_watermark_ = std::numeric_limits<EventTime>::min();
  std::map<int64_t, int> barrier_arrivals_;
  std::vector<int64_t> times_;  // scratch
};

//! Errors: a key list that is empty or of unequal length, an unknown key or time column,
//! key types that differ, a time column that is not a timestamp, lower > upper.
Result<std::unique_ptr<Operator>> MakeIntervalJoin(const std::shared_ptr<arrow::Schema>& left,
                                                   const std::shared_ptr<arrow::Schema>& right,
                                                   const IntervalJoinSpec& spec);

}  // namespace sabot
