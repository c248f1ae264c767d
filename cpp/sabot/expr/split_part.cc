// split_part: one pass over the string column's offsets and bytes, no regex, no lists.
#include "sabot/expr/split_part.h"

#include <string_view>

#include <arrow/array/builder_binary.h>
#include <arrow/array/util.h>
#include <arrow/compute/api.h>
#include <arrow/compute/registry.h>

namespace sabot {

namespace cp = arrow::compute;

namespace {

// The index-th (1-based) part of `text` cut at `separator`, or false when there is none.
bool Part(std::string_view text, std::string_view separator, int64_t index, std::string_view* part) {
  size_t start = 0;
  for (int64_t i = 1; i < index; ++i) {
    const size_t at = text.find(separator, start);
    if (at == std::string_view::npos) return false;
    start = at + separator.size();
  }
  const size_t end = text.find(separator, start);
  *part = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  return true;
}

Status SplitPartExec(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  if (!batch[1].is_scalar() || !batch[2].is_scalar()) {
    return Status::Invalid("split_part: the separator and the index must be constants");
  }
  const auto& separator_scalar = static_cast<const arrow::StringScalar&>(*batch[1].scalar);
  const auto& index_scalar = static_cast<const arrow::Int64Scalar&>(*batch[2].scalar);
  if (!separator_scalar.is_valid || !index_scalar.is_valid) {
    ARROW_ASSIGN_OR_RAISE(auto nulls, arrow::MakeArrayOfNull(arrow::utf8(), batch.length, ctx->memory_pool()));
    out->value = nulls->data();
    return Status::OK();
  }
  const std::string_view separator = separator_scalar.view();
  const int64_t index = index_scalar.value;
  if (separator.empty()) return Status::Invalid("split_part: the separator must not be empty");
  if (index < 1) return Status::Invalid("split_part: the index counts from 1, got ", index);

  std::shared_ptr<arrow::Array> input;
  if (batch[0].is_scalar()) {
    ARROW_ASSIGN_OR_RAISE(input, arrow::MakeArrayFromScalar(*batch[0].scalar, batch.length, ctx->memory_pool()));
  } else {
    input = batch[0].array.ToArray();
  }
  const auto& strings = static_cast<const arrow::StringArray&>(*input);
  arrow::StringBuilder builder(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(builder.Reserve(strings.length()));
  ARROW_RETURN_NOT_OK(builder.ReserveData(strings.total_values_length()));  // a part is never longer
  for (int64_t i = 0; i < strings.length(); ++i) {
    std::string_view part;
    if (strings.IsNull(i) || !Part(strings.GetView(i), separator, index, &part)) {
      builder.UnsafeAppendNull();
    } else {
      builder.UnsafeAppend(part);
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto result, builder.Finish());
  out->value = result->data();
  return Status::OK();
}

const cp::FunctionDoc kDoc{"The index-th part (1-based) of a string cut at a separator",
                           "Null when the string has fewer parts or is null. Separator and index are constants.",
                           {"strings", "separator", "index"}};

}  // namespace

Status RegisterSplitPart() {
  static const Status status = [] {
    auto function = std::make_shared<cp::ScalarFunction>("split_part", cp::Arity::Ternary(), kDoc);
    cp::ScalarKernel kernel({arrow::utf8(), arrow::utf8(), arrow::int64()}, arrow::utf8(), SplitPartExec);
    kernel.null_handling = cp::NullHandling::COMPUTED_NO_PREALLOCATE;
    kernel.mem_allocation = cp::MemAllocation::NO_PREALLOCATE;
    ARROW_RETURN_NOT_OK(function->AddKernel(std::move(kernel)));
    return cp::GetFunctionRegistry()->AddFunction(std::move(function), /*allow_overwrite=*/false);
  }();
  return status;
}

}  // namespace sabot
