// split_part: one pass over the string column's offsets and bytes, no regex, no lists,
// and no copy while the parts are whole strings.
#include "sabot/expr/split_part.h"

#include <cstring>
#include <string_view>

#include <arrow/array/array_binary.h>
#include <arrow/array/data.h>
#include <arrow/array/util.h>
#include <arrow/buffer.h>
#include <arrow/compute/api.h>
#include <arrow/compute/registry.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/bitmap_ops.h>

#include "sabot/expr/own_function.h"

namespace sabot {

namespace cp = arrow::compute;

namespace {

// The index-th (1-based) part of `text` cut at `separator`, or false when there is none.
bool Part(std::string_view text, std::string_view separator, int64_t index, std::string_view* part) {
  if (separator.size() == 1) {  // memchr rather than a substring search: the common case ("/", "&")
    const char c = separator[0];
    const char* begin = text.data();
    const char* end = begin + text.size();
    // memchr over no bytes is skipped: an empty string's data pointer may be null.
    auto find = [&](const char* from) -> const char* {
      return from == end ? nullptr : static_cast<const char*>(std::memchr(from, c, static_cast<size_t>(end - from)));
    };
    for (int64_t i = 1; i < index; ++i) {
      const char* at = find(begin);
      if (at == nullptr) return false;
      begin = at + 1;
    }
    const char* stop = find(begin);
    *part = std::string_view(begin, static_cast<size_t>((stop == nullptr ? end : stop) - begin));
    return true;
  }
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

// The parts as a new string array: offsets and bytes written straight into buffers sized
// by the input (a part is never longer than its string), no builder. While every part so
// far is its whole string (no separator in it), nothing is copied: an input of such rows
// only is returned as it is.
Result<std::shared_ptr<arrow::ArrayData>> SplitPartOf(const arrow::StringArray& strings, std::string_view separator,
                                                      int64_t index, arrow::MemoryPool* pool) {
  const int64_t n = strings.length();
  int64_t whole_rows = 0;  // rows [0, whole_rows) are their whole strings (or null): not yet copied
  for (; whole_rows < n; ++whole_rows) {
    if (strings.IsNull(whole_rows)) continue;
    std::string_view part;
    const std::string_view text = strings.GetView(whole_rows);
    if (!Part(text, separator, index, &part) || part.size() != text.size()) break;
  }
  if (whole_rows == n) return strings.data();

  ARROW_ASSIGN_OR_RAISE(auto offsets, arrow::AllocateBuffer((n + 1) * sizeof(int32_t), pool));
  ARROW_ASSIGN_OR_RAISE(auto data, arrow::AllocateResizableBuffer(strings.total_values_length(), pool));
  ARROW_ASSIGN_OR_RAISE(auto validity, arrow::AllocateBitmap(n, pool));
  auto* offset = reinterpret_cast<int32_t*>(offsets->mutable_data());
  uint8_t* bytes = data->mutable_data();
  uint8_t* valid = validity->mutable_data();
  // The whole-string rows before the first split one, in one copy.
  const int32_t* in_offset = strings.raw_value_offsets();
  const int32_t base = in_offset[0];
  const int32_t prefix = in_offset[whole_rows] - base;
  if (prefix > 0) std::memcpy(bytes, strings.raw_data() + base, static_cast<size_t>(prefix));
  for (int64_t i = 0; i <= whole_rows; ++i) offset[i] = in_offset[i] - base;
  if (strings.null_bitmap_data() != nullptr) {
    arrow::internal::CopyBitmap(strings.null_bitmap_data(), strings.offset(), whole_rows, valid, 0);
  } else {
    arrow::bit_util::SetBitsTo(valid, 0, whole_rows, true);
  }
  int32_t used = prefix;
  int64_t nulls = strings.null_count() == 0 ? 0 : whole_rows - arrow::internal::CountSetBits(valid, 0, whole_rows);
  for (int64_t i = whole_rows; i < n; ++i) {
    std::string_view part;
    if (strings.IsNull(i) || !Part(strings.GetView(i), separator, index, &part)) {
      arrow::bit_util::ClearBit(valid, i);
      ++nulls;
    } else {
      arrow::bit_util::SetBit(valid, i);
      std::memcpy(bytes + used, part.data(), part.size());
      used += static_cast<int32_t>(part.size());
    }
    offset[i + 1] = used;
  }
  ARROW_RETURN_NOT_OK(data->Resize(used, /*shrink_to_fit=*/false));
  std::shared_ptr<arrow::Buffer> validity_buffer = nulls == 0 ? nullptr : std::shared_ptr<arrow::Buffer>(std::move(validity));
  return arrow::ArrayData::Make(arrow::utf8(), n, {std::move(validity_buffer), std::move(offsets), std::move(data)},
                                nulls);
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
  ARROW_ASSIGN_OR_RAISE(out->value, SplitPartOf(static_cast<const arrow::StringArray&>(*input), separator, index,
                                                ctx->memory_pool()));
  return Status::OK();
}

const cp::FunctionDoc kDoc{"The index-th part (1-based) of a string cut at a separator",
                           "Null when the string has fewer parts or is null. Separator and index are constants.",
                           {"strings", "separator", "index"}};

}  // namespace

Status RegisterSplitPart() {
  static const Status status = AddOwnScalarFunction("split_part", cp::Arity::Ternary(), kDoc,
                                                     {{arrow::utf8(), arrow::utf8(), arrow::int64()}}, arrow::utf8(),
                                                     SplitPartExec);
  return status;
}

}  // namespace sabot
