// Binding: checks an Expr against a schema (columns exist, a kernel exists for the
// argument types) and evaluates it over batches with Arrow compute.
#pragma once

#include <memory>

#include <arrow/compute/expression.h>
#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"
#include "sabot/expr/expr.h"

namespace sabot {

//! An expression resolved against one input schema; cheap to copy, immutable,
//! safe to evaluate from several threads at once.
class BoundExpr {
 public:
  const Expr& expr() const { return expr_; }
  std::shared_ptr<arrow::DataType> type() const { return arrow_expr_.type()->GetSharedPtr(); }
  const arrow::compute::Expression& arrow_expr() const { return arrow_expr_; }

  //! Evaluates over `batch` (of the bound schema). The result always has the batch's
  //! length (a constant is broadcast). Errors (overflow, a failed cast) name the
  //! expression. The branches of if_else and the fallbacks of coalesce run only over
  //! the rows that select them (selective_eval.h).
  Result<std::shared_ptr<arrow::Array>> Evaluate(const arrow::RecordBatch& batch) const;

 private:
  friend Result<BoundExpr> Bind(const Expr&, const std::shared_ptr<arrow::Schema>&);
  BoundExpr(Expr expr, arrow::compute::Expression arrow_expr);

  Expr expr_;
  arrow::compute::Expression arrow_expr_;
  bool selective_ = false;  //!< has a conditional whose branches EvaluateSelectively keeps apart
};

//! Errors are user errors: an unknown column (named, with the columns that exist),
//! an unknown function, a bad option, or argument types no kernel accepts (a type
//! mismatch, naming the expression and the types found).
Result<BoundExpr> Bind(const Expr& expr, const std::shared_ptr<arrow::Schema>& schema);

//! Makes sure Arrow's compute kernels are registered (Arrow 21+ needs this once).
Status EnsureComputeInitialized();

}  // namespace sabot
