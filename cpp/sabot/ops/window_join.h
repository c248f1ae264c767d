// Window join: both inputs cut into the same event-time windows and joined per window
// and key; a window's rows are let go once the other input's watermark passes its end.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/ops/event_time_join.h"
#include "sabot/ops/event_time_join_keys.h"
#include "sabot/ops/held_rows.h"
#include "sabot/plan/window_join_spec.h"

namespace sabot {

//! Input 0 is the left side, input 1 the right. Each arriving row is matched against the
//! rows the other side holds in each of its windows, then held there, so every pair
//! leaves once, as soon as its second row arrives. Output: window_start, window_end, the
//! left columns, the right ones (suffixed on clash). Rows with a null key match nothing.
//!
//! A side's rows in window [start, end) are dropped once the other side's watermark
//! reaches end (its later rows are all past the window); a side's EndOfStream is its
//! watermark +infinity, so state is empty once both ended. The output watermark is the
//! minimum of the inputs'; barriers leave once every open input sent them; EndOfStream
//! once both inputs ended.
class WindowJoinOperator final : public EventTimeJoinOperator {
 public:
  std::string_view name() const override { return "WindowJoin"; }

  //! Rows held per window, both sides together (a row in several windows counts in each).
  int64_t state_rows() const override { return sides_[0].held.rows() + sides_[1].held.rows(); }
  //! Input batches those rows keep alive.
  int64_t state_batches() const { return sides_[0].held.batches() + sides_[1].held.batches(); }

 private:
  friend Result<std::unique_ptr<Operator>> MakeWindowJoin(const std::shared_ptr<arrow::Schema>&,
                                                          const std::shared_ptr<arrow::Schema>&, const WindowJoinSpec&);
  struct Side {
    explicit Side(std::shared_ptr<arrow::Schema> schema) : held(std::move(schema)) {}
    HeldRows held;
    int time_column = 0;
    //! By window start, then key id: the rows held.
    std::map<int64_t, std::unordered_map<uint32_t, std::vector<RowRef>>> windows;
  };
  //! A pair to emit: a row of the arriving batch and one the other side holds.
  struct Match {
    int64_t window_start;
    int32_t row;
    RowRef held;
  };

  WindowJoinOperator(std::shared_ptr<arrow::Schema> output, WindowJoinSpec spec, EventTimeJoinKeys keys, Side left,
                     Side right);

  Result<Flow> Consume(int port, const std::shared_ptr<arrow::RecordBatch>& batch) override;
  //! Drops the windows of the other side that this side's watermark closed.
  Result<Flow> Advanced(int port) override;
  Result<std::shared_ptr<arrow::RecordBatch>> Joined(int port, uint32_t slot, const std::vector<Match>& matches);
  //! A snapshot keeps each held row with its window start prepended.
  Result<std::pair<std::shared_ptr<arrow::RecordBatch>, std::vector<uint16_t>>> HeldByKeyGroup(
      int port) const override;
  Result<std::shared_ptr<arrow::Schema>> HeldSchema(int port) const override;
  Status RestoreHeld(int port, const std::shared_ptr<arrow::RecordBatch>& rows) override;

  WindowJoinSpec spec_;
  EventTimeJoinKeys keys_;
  Side sides_[2];
  std::vector<int64_t> times_;  // scratch
  std::vector<uint32_t> ids_;
  std::vector<uint8_t> valid_;
};

//! Errors: a size or slide that is not positive, a slide above the size, a key list that
//! is empty or of unequal length, an unknown key or time column, key types that differ,
//! a time column that is not a timestamp, an input column named window_start/window_end.
Result<std::unique_ptr<Operator>> MakeWindowJoin(const std::shared_ptr<arrow::Schema>& left,
                                                 const std::shared_ptr<arrow::Schema>& right,
                                                 const WindowJoinSpec& spec);

}  // namespace sabot
