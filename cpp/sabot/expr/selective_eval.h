// Selective evaluation of conditionals: the branches of if_else and the fallbacks of
// coalesce run only over the rows that select them, as SQL's CASE and COALESCE do.
#pragma once

#include <arrow/compute/exec.h>
#include <arrow/compute/expression.h>
#include <arrow/datum.h>

#include "sabot/common/errors.h"

namespace sabot {

//! True when `bound` holds an if_else with a computed branch, or a coalesce with a
//! computed fallback: only then does EvaluateSelectively differ from Arrow's evaluation.
bool HasSelectiveConditional(const arrow::compute::Expression& bound);

//! Evaluates a bound expression like arrow::compute::ExecuteScalarExpression, except
//! that if_else(c, a, b) evaluates `a` only over the rows where c is true and `b` only
//! where c is false (none where c is null), and coalesce(x, y, ...) evaluates y only
//! where x is null, and so on. So a branch costs in proportion to the rows it serves,
//! and an error (overflow, a failed cast) in a row the branch does not serve is never
//! raised. Other calls evaluate their arguments this way, then run their kernel.
Result<arrow::Datum> EvaluateSelectively(const arrow::compute::Expression& bound,
                                         const arrow::compute::ExecBatch& input);

}  // namespace sabot
