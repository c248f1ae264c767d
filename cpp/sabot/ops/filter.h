// Filter: keeps the rows whose predicate is true (null is not true, as in SQL).
#pragma once

#include <vector>

#include "sabot/exec/operator.h"
#include "sabot/ops/filter_predicate.h"

namespace sabot {

class FilterOperator final : public BatchTransform {
 public:
  //! `predicate` must be bound to `schema` (see MakeFilter).
  FilterOperator(std::shared_ptr<arrow::Schema> schema, FilterPredicate predicate)
      : BatchTransform(std::move(schema)), predicate_(std::move(predicate)) {}
  std::string_view name() const override { return "Filter"; }

  //! From now on passes on only the input columns at `columns` (increasing, not empty):
  //! the physical planner's way to drop the columns a projection right above reads
  //! nothing of, before the filter copies them (TPC-H Q21 filtered two dates it then
  //! dropped; Q3 and Q10 one column of four). Call before connecting a consumer.
  Status KeepOnly(std::vector<int> columns);

 protected:
  Result<std::shared_ptr<arrow::RecordBatch>> Transform(
      const std::shared_ptr<arrow::RecordBatch>& batch) override;

 private:
  FilterPredicate predicate_;
  std::vector<int> keep_;  // empty: every column
};

//! Binds and type-checks the predicate: it must be boolean.
Result<std::unique_ptr<FilterOperator>> MakeFilter(const std::shared_ptr<arrow::Schema>& schema,
                                                   const Expr& predicate);

//! MakeFilter over a schema with dictionary-encoded columns: a conjunct that reads one
//! such column alone is evaluated over its dictionary's entries (DictionaryPredicate);
//! the other conjuncts are bound to `schema` as they are.
Result<std::unique_ptr<FilterOperator>> MakeFilterOverDictionaries(const std::shared_ptr<arrow::Schema>& schema,
                                                                   const Expr& predicate);

}  // namespace sabot
