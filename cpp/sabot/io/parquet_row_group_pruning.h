// RowGroupPruning: which row groups of a Parquet file a filter skips from their column
// statistics alone (smallest and largest value, null count), before any page is read.
#pragma once

#include <memory>
#include <vector>

#include <arrow/compute/expression.h>
#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"
#include "sabot/expr/expr.h"

namespace parquet {
class RowGroupMetaData;
}  // namespace parquet

namespace sabot {

//! A filter's predicate as a test of row groups: data sorted or clustered by a column
//! the filter compares (event time, a date, an id) keeps most row groups out of the
//! scan altogether. A row group is skipped when, given what its statistics guarantee of
//! every row (each column tested within its min and max; without nulls, or all null),
//! Arrow's expression simplification reduces the predicate to false or null. Columns of
//! floating point types give no guarantee: statistics leave NaN out, and NaN rows pass
//! some predicates (`x != 1`, `not (x < 1)`); neither do decimals, unsigned integers,
//! INT96 timestamps or nested columns. A row group whose statistics are missing or that
//! the predicate cannot be decided for is read.
class RowGroupPruning {
 public:
  //! For `predicate` over `schema` (the scan's columns as the plan sees them, plain
  //! strings); `leaves[i]`: the file's leaf column of `schema` field i, or -1 where it
  //! has none of its own. Null when the predicate reads no column with usable statistics
  //! or does not bind (the filter reports that error itself).
  static std::unique_ptr<RowGroupPruning> Make(const Expr& predicate, const std::shared_ptr<arrow::Schema>& schema,
                                               const std::vector<int>& leaves);

  //! Whether no row of `row_group` can pass the predicate.
  bool NoRowPasses(const parquet::RowGroupMetaData& row_group) const;

 private:
  struct Column {
    std::shared_ptr<arrow::Field> field;
    int leaf;
  };
  RowGroupPruning(arrow::compute::Expression predicate, std::vector<Column> columns)
      : predicate_(std::move(predicate)), columns_(std::move(columns)) {}

  arrow::compute::Expression predicate_;  // bound to the schema it was made with
  std::vector<Column> columns_;           // the columns it reads that statistics can bound
};

}  // namespace sabot
