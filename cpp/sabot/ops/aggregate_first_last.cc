// first and last: the first/last value of each group in input order, null included
// (DuckDB's first()/last()), for fixed-width, boolean and string/binary columns.
#include <string>

#include "sabot/common/type_names.h"
#include "sabot/ops/aggregate_accumulator_util.h"

namespace sabot::aggregate_internal {

namespace {

//! Opaque fixed-width storage for values wider than 8 bytes (decimals, intervals).
template <int W>
struct Bytes {
  uint8_t bytes[W];
};

//! Values stored as T of the type's width (bit-identical copy); booleans (kBool) as one
//! byte per group read from the bitmap.
template <typename T, bool kLast, bool kBool = false>
class FixedWidthFirstLast final : public AccumulatorBase {
 public:
  explicit FixedWidthFirstLast(std::shared_ptr<arrow::DataType> type) : AccumulatorBase(std::move(type)) {}

  void Resize(uint32_t num_groups) override {
    if (num_groups <= num_groups_) return;
    values_.resize(num_groups, T{});
    valid_.resize(num_groups, 0);
    seen_.resize(num_groups, 0);
    num_groups_ = num_groups;
  }

  Status Consume(const arrow::ArraySpan* values, const uint32_t* group_ids, int64_t length) override {
    const bool may_have_nulls = MayHaveNulls(*values);
    const uint8_t* data = values->buffers[1].data;
    const int64_t offset = values->offset;
    auto read = [&](int64_t i) -> T {
      if constexpr (kBool) {
        return static_cast<T>(arrow::bit_util::GetBit(data, offset + i));
      } else {
        return reinterpret_cast<const T*>(data)[offset + i];
      }
    };
    for (int64_t i = 0; i < length; ++i) {
      const uint32_t g = group_ids[i];
      if (!kLast && seen_[g]) continue;
      seen_[g] = 1;
      // A null slot's bytes are unspecified but readable; valid_ hides them.
      values_[g] = read(i);
      valid_[g] = !may_have_nulls || IsValid(*values, i);
    }
    return Status::OK();
  }

  Status Merge(GroupedAccumulator& other, const uint32_t* group_id_mapping) override {
    ARROW_ASSIGN_OR_RAISE(auto* same, Same<FixedWidthFirstLast>(other));
    for (uint32_t g = 0; g < same->num_groups_; ++g) {
      const uint32_t to = group_id_mapping[g];
      // `other` holds later input: last takes its value, first only fills gaps.
      if (to == kDropGroup || !same->seen_[g] || (!kLast && seen_[to])) continue;
      seen_[to] = 1;
      values_[to] = same->values_[g];
      valid_[to] = same->valid_[g];
    }
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::Array>> Finalize() override {
    if constexpr (kBool) {
      return MakeBooleanArray(values_, valid_.data());
    } else {
      return MakeFixedWidthArray(output_type_, std::move(values_), valid_.data());
    }
  }

  Result<std::shared_ptr<arrow::Array>> SaveState() const override {
    return PackGroups(num_groups_, nullptr, values_, valid_, seen_);
  }
  Status LoadState(const arrow::Array& state) override {
    ARROW_RETURN_NOT_OK(UnpackGroups(state, nullptr, values_, valid_, seen_));
    num_groups_ = static_cast<uint32_t>(state.length());
    return Status::OK();
  }

 private:
  GroupVector<T> values_;
  GroupVector<uint8_t> valid_;
  GroupVector<uint8_t> seen_;
};

//! Strings and binaries; Offset is int32_t or int64_t.
template <typename Offset, bool kLast>
class BinaryFirstLast final : public AccumulatorBase {
 public:
  explicit BinaryFirstLast(std::shared_ptr<arrow::DataType> type) : AccumulatorBase(std::move(type)) {}

  void Resize(uint32_t num_groups) override {
    if (num_groups <= num_groups_) return;
    values_.resize(num_groups);
    valid_.resize(num_groups, 0);
    seen_.resize(num_groups, 0);
    if (kLast) batch_stamp_.resize(num_groups, 0);
    num_groups_ = num_groups;
  }

  Status Consume(const arrow::ArraySpan* values, const uint32_t* group_ids, int64_t length) override {
    if constexpr (kLast) {
      // Walk backwards and copy only each group's last row of the batch, instead of
      // copying a string for every row.
      ++stamp_;
      for (int64_t i = length - 1; i >= 0; --i) {
        const uint32_t g = group_ids[i];
        if (batch_stamp_[g] == stamp_) continue;
        batch_stamp_[g] = stamp_;
        Set(g, *values, i);
      }
    } else {
      for (int64_t i = 0; i < length; ++i) {
        if (!seen_[group_ids[i]]) Set(group_ids[i], *values, i);
      }
    }
    return Status::OK();
  }

  Status Merge(GroupedAccumulator& other, const uint32_t* group_id_mapping) override {
    ARROW_ASSIGN_OR_RAISE(auto* same, Same<BinaryFirstLast>(other));
    for (uint32_t g = 0; g < same->num_groups_; ++g) {
      const uint32_t to = group_id_mapping[g];
      if (to == kDropGroup || !same->seen_[g] || (!kLast && seen_[to])) continue;
      seen_[to] = 1;
      values_[to] = same->values_[g];
      valid_[to] = same->valid_[g];
    }
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::Array>> Finalize() override {
    return MakeBinaryArray(output_type_, values_, valid_);
  }

  Result<std::shared_ptr<arrow::Array>> SaveState() const override {
    return PackGroups(num_groups_, &values_, valid_, seen_);
  }
  Status LoadState(const arrow::Array& state) override {
    ARROW_RETURN_NOT_OK(UnpackGroups(state, &values_, valid_, seen_));
    num_groups_ = static_cast<uint32_t>(state.length());
    if (kLast) batch_stamp_.assign(num_groups_, 0);
    return Status::OK();
  }

 private:
  void Set(uint32_t g, const arrow::ArraySpan& values, int64_t i) {
    seen_[g] = 1;
    valid_[g] = IsValid(values, i);
    if (valid_[g]) {
      values_[g].assign(BinaryValue<Offset>(values, i));
    } else {
      values_[g].clear();
    }
  }

  std::vector<std::string> values_;
  GroupVector<uint8_t> valid_;
  GroupVector<uint8_t> seen_;
  GroupVector<uint64_t> batch_stamp_;  // last: the batch that already set the group
  uint64_t stamp_ = 0;
};

template <bool kLast>
std::unique_ptr<GroupedAccumulator> MakeFixedWidth(const std::shared_ptr<arrow::DataType>& type,
                                                   int byte_width) {
  switch (byte_width) {
    case 1: return std::make_unique<FixedWidthFirstLast<uint8_t, kLast>>(type);
    case 2: return std::make_unique<FixedWidthFirstLast<uint16_t, kLast>>(type);
    case 4: return std::make_unique<FixedWidthFirstLast<uint32_t, kLast>>(type);
    case 8: return std::make_unique<FixedWidthFirstLast<uint64_t, kLast>>(type);
    case 16: return std::make_unique<FixedWidthFirstLast<Bytes<16>, kLast>>(type);
    case 32: return std::make_unique<FixedWidthFirstLast<Bytes<32>, kLast>>(type);
    default: return nullptr;
  }
}

template <bool kLast>
Result<std::unique_ptr<GroupedAccumulator>> MakeTyped(const AggregateSpec& spec,
                                                      const std::shared_ptr<arrow::DataType>& type) {
  switch (type->id()) {
    case arrow::Type::BOOL:
      return std::make_unique<FixedWidthFirstLast<uint8_t, kLast, true>>(type);
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      return std::make_unique<BinaryFirstLast<int32_t, kLast>>(type);
    case arrow::Type::LARGE_STRING:
    case arrow::Type::LARGE_BINARY:
      return std::make_unique<BinaryFirstLast<int64_t, kLast>>(type);
    default:
      break;
  }
  // Every type whose values are one fixed-size slot is copied as opaque bytes.
  if (arrow::is_primitive(type->id()) || arrow::is_decimal(type->id()) ||
      type->id() == arrow::Type::FIXED_SIZE_BINARY) {
    const int width = static_cast<const arrow::FixedWidthType&>(*type).byte_width();
    if (auto accumulator = MakeFixedWidth<kLast>(type, width)) return accumulator;
  }
  return Status::TypeError(DisplayName(spec), ": expected a primitive, string or binary column, found ",
                           FormatDataType(*type));
}

}  // namespace

Result<std::unique_ptr<GroupedAccumulator>> MakeFirstLastAccumulator(
    const AggregateSpec& spec, const std::shared_ptr<arrow::DataType>& input_type) {
  if (spec.function == AggregateFunction::kLast) return MakeTyped<true>(spec, input_type);
  return MakeTyped<false>(spec, input_type);
}

}  // namespace sabot::aggregate_internal
