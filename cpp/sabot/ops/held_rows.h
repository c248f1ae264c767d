// HeldRows: input batches kept alive while an event-time operator holds some of their
// rows as state, and gathering held rows back into one output batch.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <unordered_map>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"

namespace sabot {

//! A held row: which held batch, which row in it.
struct RowRef {
  uint32_t slot;
  int32_t row;
};
//! "No row": gathers as a row of nulls (an unmatched side of an outer join).
inline constexpr RowRef kNoRow{std::numeric_limits<uint32_t>::max(), -1};

//! Holding a row costs a reference to its batch, not a copy; a batch is let go when its
//! last held row is released, so state is counted in rows.
class HeldRows {
 public:
  explicit HeldRows(std::shared_ptr<arrow::Schema> schema) : schema_(std::move(schema)) {}

  //! Starts holding rows of `batch`: returns its slot; Add then holds single rows.
  uint32_t Open(std::shared_ptr<arrow::RecordBatch> batch);
  //! Holds row `row` of the batch in `slot` (one Open'ed since the last Close).
  RowRef Add(uint32_t slot, int32_t row);
  //! Ends Add'ing to `slot`: a batch none of whose rows were held is let go.
  void Close(uint32_t slot);
  Status Release(RowRef ref);

  int64_t rows() const { return rows_; }
  int64_t batches() const { return static_cast<int64_t>(batches_.size()); }
  const std::shared_ptr<arrow::Schema>& schema() const { return schema_; }

  //! The rows `refs` in that order (kNoRow: a null row), columns as `schema()`.
  Result<std::shared_ptr<arrow::RecordBatch>> Gather(const std::vector<RowRef>& refs) const;

 private:
  struct Held {
    std::shared_ptr<arrow::RecordBatch> batch;
    int64_t live_rows = 0;
  };
  std::shared_ptr<arrow::Schema> schema_;
  std::unordered_map<uint32_t, Held> batches_;
  uint32_t next_slot_ = 0;
  uint32_t open_slot_ = kNoRow.slot;  // kept even with no rows held until Close
  int64_t rows_ = 0;
};

}  // namespace sabot
