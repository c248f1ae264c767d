// Filter: keeps the rows whose predicate is true (null is not true, as in SQL).
#pragma once

#include "sabot/exec/operator.h"
#include "sabot/expr/bind.h"

namespace sabot {

class FilterOperator final : public BatchTransform {
 public:
  //! `predicate` must be bound to `schema` and be boolean (see MakeFilter).
  FilterOperator(std::shared_ptr<arrow::Schema> schema, BoundExpr predicate)
      : BatchTransform(std::move(schema)), predicate_(std::move(predicate)) {}
  std::string_view name() const override { return "Filter"; }

 protected:
  Result<std::shared_ptr<arrow::RecordBatch>> Transform(
      const std::shared_ptr<arrow::RecordBatch>& batch) override;

 private:
  BoundExpr predicate_;
};

//! Binds and type-checks the predicate: it must be boolean.
Result<std::unique_ptr<FilterOperator>> MakeFilter(const std::shared_ptr<arrow::Schema>& schema,
                                                   const Expr& predicate);

}  // namespace sabot
