// MakeAccumulator (dispatch to the accumulator families) and the helpers they share.
#include "sabot/ops/aggregate_accumulator.h"

#include <arrow/array.h>
#include <arrow/builder.h>

#include "sabot/ops/aggregate_accumulator_util.h"

namespace sabot {

namespace aggregate_internal {

Result<std::shared_ptr<arrow::Buffer>> BitmapFromBytes(std::span<const uint8_t> valid, int64_t* null_count) {
  const int64_t length = static_cast<int64_t>(valid.size());
  int64_t nulls = 0;
  for (uint8_t v : valid) nulls += (v == 0);
  *null_count = nulls;
  if (nulls == 0) return nullptr;
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> bitmap, arrow::AllocateBitmap(length));
  uint8_t* bits = bitmap->mutable_data();
  std::memset(bits, 0, bitmap->size());
  for (int64_t i = 0; i < length; ++i) {
    if (valid[i]) arrow::bit_util::SetBit(bits, i);
  }
  return bitmap;
}

Result<std::shared_ptr<arrow::Array>> FixedWidthArrayOver(const std::shared_ptr<arrow::DataType>& type,
                                                          int64_t length, std::shared_ptr<arrow::Buffer> data,
                                                          const uint8_t* valid) {
  int64_t null_count = 0;
  std::shared_ptr<arrow::Buffer> bitmap;
  if (valid != nullptr) {
    ARROW_ASSIGN_OR_RAISE(bitmap, BitmapFromBytes({valid, static_cast<size_t>(length)}, &null_count));
  }
  return arrow::MakeArray(arrow::ArrayData::Make(type, length, {std::move(bitmap), std::move(data)}, null_count));
}

Result<std::shared_ptr<arrow::Array>> MakeBooleanArray(std::span<const uint8_t> values, const uint8_t* valid) {
  const int64_t length = static_cast<int64_t>(values.size());
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> data, arrow::AllocateBitmap(length));
  std::memset(data->mutable_data(), 0, data->size());
  for (int64_t i = 0; i < length; ++i) {
    if (values[i]) arrow::bit_util::SetBit(data->mutable_data(), i);
  }
  return FixedWidthArrayOver(arrow::boolean(), length, std::move(data), valid);
}

namespace {

template <typename BuilderType>
Result<std::shared_ptr<arrow::Array>> BuildBinary(const std::shared_ptr<arrow::DataType>& type,
                                                  const std::vector<std::string>& values,
                                                  std::span<const uint8_t> valid) {
  BuilderType builder(type, arrow::default_memory_pool());
  int64_t bytes = 0;
  for (size_t i = 0; i < values.size(); ++i) bytes += valid[i] ? values[i].size() : 0;
  ARROW_RETURN_NOT_OK(builder.Reserve(static_cast<int64_t>(values.size())));
  ARROW_RETURN_NOT_OK(builder.ReserveData(bytes));
  for (size_t i = 0; i < values.size(); ++i) {
    if (valid[i]) {
      builder.UnsafeAppend(values[i]);
    } else {
      builder.UnsafeAppendNull();
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto built, builder.Finish());
  // The binary builders always report binary; strings share their layout.
  auto data = built->data()->Copy();
  data->type = type;
  return arrow::MakeArray(data);
}

}  // namespace

Result<std::shared_ptr<arrow::Array>> MakeBinaryArray(const std::shared_ptr<arrow::DataType>& type,
                                                      const std::vector<std::string>& values,
                                                      std::span<const uint8_t> valid) {
  switch (type->id()) {
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      return BuildBinary<arrow::BinaryBuilder>(type, values, valid);
    case arrow::Type::LARGE_STRING:
    case arrow::Type::LARGE_BINARY:
      return BuildBinary<arrow::LargeBinaryBuilder>(type, values, valid);
    default:
      return Status::UnknownError("internal error (a bug in sabot): MakeBinaryArray of ",
                                  type->ToString());
  }
}

bool IsIntegerType(const arrow::DataType& type) { return arrow::is_integer(type.id()); }

bool IsFloatingType(const arrow::DataType& type) {
  return type.id() == arrow::Type::FLOAT || type.id() == arrow::Type::DOUBLE;
}

bool IsBinaryLikeType(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::LARGE_BINARY:
      return true;
    default:
      return false;
  }
}

}  // namespace aggregate_internal

Status GroupedAccumulator::SplitInto(const std::vector<GroupedAccumulator*>& parts, const uint8_t* part_of,
                                     const uint32_t* new_ids) {
  std::vector<uint32_t> mapping(num_groups());
  for (size_t p = 0; p < parts.size(); ++p) {
    for (uint32_t g = 0; g < num_groups(); ++g) mapping[g] = part_of[g] == p ? new_ids[g] : kDropGroup;
    ARROW_RETURN_NOT_OK(parts[p]->Merge(*this, mapping.data()));
  }
  return Status::OK();
}

Result<std::unique_ptr<GroupedAccumulator>> MakeAccumulator(
    const AggregateSpec& spec, const std::shared_ptr<arrow::DataType>& input_type) {
  using namespace aggregate_internal;  // NOLINT: the family factories
  if ((spec.function == AggregateFunction::kCountAll) != (input_type == nullptr)) {
    return Status::UnknownError("internal error (a bug in sabot): ", DisplayName(spec),
                                " given ", input_type ? "an" : "no", " input type");
  }
  switch (spec.function) {
    case AggregateFunction::kCount:
    case AggregateFunction::kCountAll:
      return MakeCountAccumulator(spec, input_type);
    case AggregateFunction::kCountDistinct:
      return MakeCountDistinctAccumulator(spec, input_type);
    case AggregateFunction::kSum:
    case AggregateFunction::kMean:
    case AggregateFunction::kVariance:
    case AggregateFunction::kStddev:
      return MakeNumericAccumulator(spec, input_type);
    case AggregateFunction::kMin:
    case AggregateFunction::kMax:
      return MakeMinMaxAccumulator(spec, input_type);
    case AggregateFunction::kFirst:
    case AggregateFunction::kLast:
      return MakeFirstLastAccumulator(spec, input_type);
  }
  return Status::Invalid("unknown aggregate function ", static_cast<int>(spec.function));
}

}  // namespace sabot
