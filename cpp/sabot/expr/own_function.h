// Sabot's own compute functions (split_part, like_segments): how they join Arrow's registry.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <arrow/compute/api.h>
#include <arrow/compute/registry.h>

#include "sabot/common/errors.h"

namespace sabot {

//! Adds the scalar function `name` to Arrow's registry, with one kernel per signature in
//! `signatures`, all running `exec`, which allocates its output and computes its nulls.
inline Status AddOwnScalarFunction(const std::string& name, const arrow::compute::Arity& arity,
                                   const arrow::compute::FunctionDoc& doc,
                                   const std::vector<std::vector<arrow::compute::InputType>>& signatures,
                                   const arrow::compute::OutputType& out, arrow::compute::ArrayKernelExec exec) {
  namespace cp = arrow::compute;
  auto function = std::make_shared<cp::ScalarFunction>(name, arity, doc);
  for (const auto& signature : signatures) {
    cp::ScalarKernel kernel(signature, out, exec);
    kernel.null_handling = cp::NullHandling::COMPUTED_NO_PREALLOCATE;
    kernel.mem_allocation = cp::MemAllocation::NO_PREALLOCATE;
    ARROW_RETURN_NOT_OK(function->AddKernel(std::move(kernel)));
  }
  return cp::GetFunctionRegistry()->AddFunction(std::move(function), /*allow_overwrite=*/false);
}

}  // namespace sabot
