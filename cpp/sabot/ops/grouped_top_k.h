// GroupedTopK (ROW_NUMBER() OVER (PARTITION BY keys ORDER BY ...) <= k): the best k rows
// of every group, in memory bounded by groups * k plus one batch of pending rows.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sabot/exec/operator.h"
#include "sabot/ops/sort_spec.h"
#include "sabot/ops/top_k.h"

namespace arrow::compute {
class Grouper;
}

namespace sabot {

//! The best k rows per group that one thread has seen. Rows are ranked on narrow columns
//! only (a group id from one persistent hash grouper, a row number, the order keys): a
//! pending list is folded into the kept rows, once it is as large as they are (at least
//! kMinCompactRows), by one stable sort on (group, order keys) and a run-length cut at k
//! per group. The wide rows stay in the input batches they came in and are gathered at
//! Finish, or earlier once the held batches have grown to several times the kept rows, so
//! memory stays proportional to groups * k and no compaction copies strings.
class GroupedTopKState {
 public:
  //! `group_columns` are indices into `order.schema()`; k >= 1. `with_ties` keeps, after
  //! a group's k-th row, the rows equal to it on every order key (RANK() <= k).
  static Result<GroupedTopKState> Make(SortSpec order, std::vector<int> group_columns, int64_t k,
                                       bool with_ties = false);

  Status Add(const std::shared_ptr<arrow::RecordBatch>& batch);
  //! Every group's best min(k, rows of the group) rows, each group's rows sorted by the
  //! order keys (ties in input order); groups in order of first appearance. nullptr when
  //! no row arrived.
  Result<std::shared_ptr<arrow::RecordBatch>> Finish();
  //! Input rows held: those of the batches that still hold a kept or pending row.
  int64_t rows() const { return held_rows_; }

 private:
  GroupedTopKState(SortSpec order, SortSpec by_group, std::vector<int> group_columns, int64_t k, bool with_ties,
                   std::unique_ptr<arrow::compute::Grouper> grouper);
  Status Compact();
  //! Gathers the kept rows out of the held batches into one batch, which replaces them.
  Status Gather();
  //! Whether rows `a` and `b` of the narrow batch `rows` are equal on every order key.
  bool SameOrderKeys(const arrow::RecordBatch& rows, int64_t a, int64_t b) const;

  SortSpec order_;     //!< the user's order over the input schema
  SortSpec by_group_;  //!< (group rank, order keys) over the batch Compact sorts
  std::vector<int> group_columns_;
  int64_t k_;
  bool with_ties_;
  std::shared_ptr<arrow::compute::Grouper> grouper_;
  std::vector<std::shared_ptr<arrow::RecordBatch>> held_;  //!< input batches, in arrival order
  int64_t held_rows_ = 0;
  //! Narrow rows: group id (uint32), row number in the held batches (int64), order keys.
  std::shared_ptr<arrow::Schema> narrow_schema_;
  std::shared_ptr<arrow::RecordBatch> kept_;  //!< null until the first compaction
  int64_t kept_rows_ = 0;
  std::vector<std::shared_ptr<arrow::RecordBatch>> pending_;
  int64_t pending_rows_ = 0;
};

//! The best k rows by `keys` within each group of equal `group_by` values (nulls form
//! one group), and with `with_ties` the rows tied with the k-th too. Errors name an
//! unknown column, k < 1, or a group column without equality.
Result<std::unique_ptr<Operator>> MakeGroupedTopK(const std::shared_ptr<arrow::Schema>& input,
                                                  const std::vector<std::string>& group_by,
                                                  const std::vector<SortKey>& keys, int64_t k,
                                                  bool with_ties = false);

}  // namespace sabot
