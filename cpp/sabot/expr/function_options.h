// Turns an Expr call's text options into the Arrow FunctionOptions its function takes.
#pragma once

#include <memory>
#include <string>

#include <arrow/compute/function_options.h>

#include "sabot/common/errors.h"
#include "sabot/expr/expr.h"

namespace sabot {

//! Null when `options` is empty and the function needs none. Unknown keys, bad values
//! and options given to a function that takes none are errors naming the function.
Result<std::shared_ptr<arrow::compute::FunctionOptions>> MakeFunctionOptions(
    const std::string& function, const ExprOptions& options);

}  // namespace sabot
