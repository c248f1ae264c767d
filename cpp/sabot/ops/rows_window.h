// RowsWindow: per key, aggregates over that key's last N rows, one result per input row
// (SQL's AGG(x) OVER (PARTITION BY k ROWS BETWEEN N-1 PRECEDING AND CURRENT ROW), rows
// taken in arrival order); each key's frame is kept per key group.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "sabot/exec/operator.h"
#include "sabot/plan/aggregate_spec.h"
#include "sabot/state/key_group.h"

namespace sabot {

struct RowsWindowOptions {
  int num_key_groups = kDefaultKeyGroups;
  //! The key groups this copy owns; a row of a key outside it is a bug of the routing.
  KeyGroupRange range = {0, kDefaultKeyGroups};
};

//! How a rows window reads an aggregate's input column: as integers (temporal types as
//! the integers they are stored as), as floating point, or only for its validity (a
//! count of a column of another type).
enum class FrameValueKind : uint8_t { kInt, kFloat, kValidity };

//! Appends one column per aggregate to every batch: the aggregate over the last `rows`
//! rows of the row's key up to and including the row itself, in arrival order (rows of
//! one key keep their order through a stream, so that order is the key's event order
//! when its source's is). Aggregates skip nulls as in SQL: count(x) counts non-null
//! values, count(*) the rows of the frame, and sum, mean, min and max are null over a
//! frame without a non-null value. Control messages pass unchanged; nothing waits for
//! a watermark, so batch and streaming runs give the same rows.
class RowsWindowOperator final : public BatchTransform {
 public:
  //! One aggregate as the operator runs it: which value slot it reads (-1: count(*)).
  struct Aggregate {
    AggregateFunction function;
    int value = -1;  //!< index into the value columns; -1 for count_all
    std::shared_ptr<arrow::DataType> output_type;
  };
  //! One input column that some aggregate reads.
  struct ValueColumn {
    int column;
    FrameValueKind kind;
  };

  RowsWindowOperator(std::shared_ptr<arrow::Schema> output, std::vector<int> key_columns, int64_t rows,
                     std::vector<ValueColumn> values, std::vector<Aggregate> aggregates,
                     RowsWindowOptions options);
  std::string_view name() const override { return "RowsWindow"; }
  //! Rows held in the frames of all keys.
  int64_t state_rows() const override { return held_rows_; }
  //! Keys with a frame, over all key groups.
  int64_t num_keys() const { return num_keys_; }
  //! The keys of one key group with a frame, sorted: what a snapshot of it would hold.
  std::vector<std::string> KeysOf(int key_group) const;

 protected:
  Result<std::shared_ptr<arrow::RecordBatch>> Transform(const std::shared_ptr<arrow::RecordBatch>& batch) override;

 private:
  union Value {
    int64_t i;
    double d;
  };
  //! One key's frame: a ring of its last `rows_` rows (values and validity of each value
  //! column), filled up before it wraps, and per column the running non-null count and
  //! sum and the extremes of the frame.
  struct Frame {
    std::vector<Value> values;    // slot * num value columns + column
    std::vector<uint8_t> valid;   // same layout
    int64_t size = 0;             // rows in the frame (<= rows_)
    int64_t next = 0;             // the slot the next row takes once the ring is full
    std::vector<int64_t> count;   // non-null values per column
    std::vector<Value> sum;       // per column
    std::vector<Value> min, max;  // per column; meaningful while count > 0
  };
  using Group = std::unordered_map<std::string, Frame>;

  //! Adds `row`'s values to `frame`, dropping its oldest row when full.
  Status Advance(Frame& frame, const std::vector<const arrow::ArrayData*>& inputs, int64_t row);
  void Recompute(Frame& frame, size_t column) const;

  std::vector<int> key_columns_;
  int64_t rows_;
  std::vector<ValueColumn> values_;
  std::vector<Aggregate> aggregates_;
  RowsWindowOptions options_;
  std::vector<Group> groups_;  // by key group - range.begin
  int64_t held_rows_ = 0;
  int64_t num_keys_ = 0;
  std::vector<std::string> keys_;  // scratch: the batch's encoded keys
  std::vector<uint16_t> key_groups_;
};

//! `keys` name the partition columns (at least one), `rows` the frame length (>= 1).
//! Aggregates: count, count_all, sum, mean, min, max; sum and mean over integer or
//! floating-point columns, min and max also over dates, times, timestamps and durations.
//! Output: the input columns, then one per aggregate (named by its output name or
//! DisplayName). Errors name the column, aggregate or option at fault.
Result<std::unique_ptr<Operator>> MakeRowsWindow(const std::shared_ptr<arrow::Schema>& input,
                                                 const std::vector<std::string>& keys, int64_t rows,
                                                 const std::vector<AggregateSpec>& aggregates,
                                                 RowsWindowOptions options = {});

}  // namespace sabot
