// Distinct (SQL DISTINCT over some columns): streams each row the first time its key
// appears, so it works on unbounded input.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sabot/exec/operator.h"

namespace arrow::compute {
class Grouper;
}

namespace sabot {

//! The set of distinct rows one thread has seen, held in an Arrow Grouper (a hash table
//! keyed by the row's values). NULLs equal each other; floats compare by value (-0.0
//! equals 0.0, all NaNs are one value), as in DuckDB. Sets of several threads combine
//! with Merge, so a parallel distinct can run thread-local and combine at finalize.
class DistinctState {
 public:
  //! Errors name the first column whose type cannot be hashed (e.g. a list).
  static Result<DistinctState> Make(std::shared_ptr<arrow::Schema> schema);
  DistinctState(DistinctState&&) noexcept;
  DistinctState& operator=(DistinctState&&) noexcept;
  ~DistinctState();

  //! Adds the rows of `batch` (of schema()) and returns those whose values were not seen
  //! before, each once, in first-occurrence order; nullptr when there are none.
  Result<std::shared_ptr<arrow::RecordBatch>> Insert(const std::shared_ptr<arrow::RecordBatch>& batch);
  //! Every distinct row so far, in first-occurrence order (floats as canonicalized:
  //! -0.0 reads 0.0).
  Result<std::shared_ptr<arrow::RecordBatch>> Uniques();
  //! Adds `other`'s rows after this set's; returns the ones that were new here.
  Result<std::shared_ptr<arrow::RecordBatch>> Merge(DistinctState& other);

  const std::shared_ptr<arrow::Schema>& schema() const { return schema_; }
  int64_t num_distinct() const;

 private:
  DistinctState(std::shared_ptr<arrow::Schema> schema, std::unique_ptr<arrow::compute::Grouper> grouper);

  std::shared_ptr<arrow::Schema> schema_;
  std::unique_ptr<arrow::compute::Grouper> grouper_;
  //! Group ids in first-occurrence order: the grouper numbers the new keys of a batch in
  //! its own order (hash-table insertion), not in row order.
  std::vector<uint32_t> groups_in_order_;
};

//! One thread's copy of a distinct stage: emits new rows as it finds them and forwards
//! control events (it holds no rows back, so a watermark stays true downstream).
class DistinctOperator final : public Operator {
 public:
  DistinctOperator(std::vector<int> columns, DistinctState state);
  std::string_view name() const override { return "Distinct"; }
  Result<Flow> Push(int port, Message message) override;

 private:
  std::vector<int> columns_;  //!< input positions of the distinct columns
  DistinctState state_;
};

//! Distinct rows over `columns` (empty = all columns); output = those columns, first
//! occurrence order; NULLs equal each other (SQL DISTINCT). Emits new distinct rows as
//! they are found (streaming-friendly, no need to wait for EndOfStream), forwards
//! EndOfStream.
Result<std::unique_ptr<Operator>> MakeDistinct(const std::shared_ptr<arrow::Schema>& input,
                                               const std::vector<std::string>& columns);

}  // namespace sabot
