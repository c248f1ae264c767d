// MappingGrouper: what Sabot's own Groupers (IntKeyGrouper, DictKeyGrouper) share: Arrow's
// Consume, Lookup and Populate are one mapping of key rows to group ids, inserting new
// keys or not.
#pragma once

#include <cstdint>
#include <memory>

#include <arrow/array/data.h>
#include <arrow/buffer.h>
#include <arrow/compute/row/grouper.h>
#include <arrow/util/bit_util.h>

#include "sabot/common/errors.h"

namespace sabot {

class MappingGrouper : public arrow::compute::Grouper {
 public:
  //! The id Map gives a row whose key is absent when not inserting.
  static constexpr uint32_t kNoGroup = UINT32_MAX;

  Result<arrow::Datum> Consume(const arrow::compute::ExecSpan& batch, int64_t offset, int64_t length) final {
    return Map(batch, offset, length, /*insert=*/true);
  }
  Result<arrow::Datum> Lookup(const arrow::compute::ExecSpan& batch, int64_t offset, int64_t length) final {
    return Map(batch, offset, length, /*insert=*/false);
  }
  Status Populate(const arrow::compute::ExecSpan& batch, int64_t offset, int64_t length) final {
    return Map(batch, offset, length, /*insert=*/true).status();
  }

 protected:
  //! Each row's group id, made when new and `insert`; length < 0: to the batch's end.
  virtual Result<arrow::Datum> Map(const arrow::compute::ExecSpan& batch, int64_t offset, int64_t length,
                                   bool insert) = 0;

  //! The uint32 id array over `ids` (`length` of them), null where an id is kNoGroup (as
  //! Lookup gives absent keys).
  static Result<arrow::Datum> GroupIds(std::shared_ptr<arrow::Buffer> ids, int64_t length) {
    const auto* values = reinterpret_cast<const uint32_t*>(ids->data());
    int64_t missing = 0;
    for (int64_t i = 0; i < length; ++i) missing += values[i] == kNoGroup;
    std::shared_ptr<arrow::Buffer> validity;
    if (missing > 0) {
      ARROW_ASSIGN_OR_RAISE(validity, arrow::AllocateBitmap(length));
      for (int64_t i = 0; i < length; ++i) arrow::bit_util::SetBitTo(validity->mutable_data(), i, values[i] != kNoGroup);
    }
    return arrow::Datum(
        arrow::ArrayData::Make(arrow::uint32(), length, {std::move(validity), std::move(ids)}, missing));
  }
};

}  // namespace sabot
