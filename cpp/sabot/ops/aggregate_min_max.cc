// min and max over numbers, decimals, booleans, strings/binaries and temporal values;
// the result keeps the input type. Floating NaN orders above every number, as in DuckDB.
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "sabot/common/type_names.h"
#include "sabot/ops/aggregate_accumulator_util.h"

namespace sabot::aggregate_internal {

namespace {

// The total order min/max use: for floating values NaN is the largest.
template <typename T>
inline bool Less(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return !std::isnan(a) && (std::isnan(b) || a < b);
  } else {
    return a < b;
  }
}

template <typename T, bool kMax>
constexpr T Identity() {
  if constexpr (std::is_same_v<T, Decimal128Bits>) {  // -2^127 or 2^127 - 1
    return kMax ? T{0, std::numeric_limits<int64_t>::min()}
                : T{std::numeric_limits<uint64_t>::max(), std::numeric_limits<int64_t>::max()};
  } else if constexpr (std::is_floating_point_v<T>) {
    return kMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::quiet_NaN();
  } else {
    return kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  }
}

//! Fixed-width values, stored as their physical C type T (temporal types and decimals as
//! integers: one column has one scale). Booleans are stored one byte per group (kBool) and
//! read from the bitmap.
template <typename T, bool kMax, bool kBool = false>
class FixedWidthMinMax final : public AccumulatorBase {
 public:
  explicit FixedWidthMinMax(std::shared_ptr<arrow::DataType> type) : AccumulatorBase(std::move(type)) {}

  void Resize(uint32_t num_groups) override {
    if (num_groups <= num_groups_) return;
    // Starting from the identity makes the update a branch-free select.
    values_.resize(num_groups, Identity<T, kMax>());
    seen_.resize(num_groups, 0);
    num_groups_ = num_groups;
  }

  Status Consume(const arrow::ArraySpan* values, const uint32_t* group_ids, int64_t length) override {
    T* out = values_.data();
    uint8_t* seen = seen_.data();
    if constexpr (kBool) {
      const uint8_t* bits = values->buffers[1].data;
      const int64_t offset = values->offset;
      ForEachValid(*values, length, [&](int64_t i) {
        Update(out[group_ids[i]], static_cast<T>(arrow::bit_util::GetBit(bits, offset + i)));
        seen[group_ids[i]] = 1;
      });
    } else {
      const T* in = values->GetValues<T>(1);
      ForEachValid(*values, length, [&](int64_t i) {
        Update(out[group_ids[i]], in[i]);
        seen[group_ids[i]] = 1;
      });
    }
    return Status::OK();
  }

  Status Merge(GroupedAccumulator& other, const uint32_t* group_id_mapping) override {
    ARROW_ASSIGN_OR_RAISE(auto* same, Same<FixedWidthMinMax>(other));
    for (uint32_t g = 0; g < same->num_groups_; ++g) {
      if (!same->seen_[g] || group_id_mapping[g] == kDropGroup) continue;
      Update(values_[group_id_mapping[g]], same->values_[g]);
      seen_[group_id_mapping[g]] = 1;
    }
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::Array>> Finalize() override {
    if constexpr (kBool) {
      return MakeBooleanArray(values_, seen_.data());
    } else {
      return MakeFixedWidthArray(output_type_, std::move(values_), seen_.data());
    }
  }

  Result<std::shared_ptr<arrow::Array>> SaveState() const override {
    return PackGroups(num_groups_, nullptr, values_, seen_);
  }
  Status LoadState(const arrow::Array& state) override {
    ARROW_RETURN_NOT_OK(UnpackGroups(state, nullptr, values_, seen_));
    num_groups_ = static_cast<uint32_t>(state.length());
    return Status::OK();
  }

 private:
  static inline void Update(T& current, T value) {
    const bool better = kMax ? Less(current, value) : Less(value, current);
    current = better ? value : current;
  }

  GroupVector<T> values_;
  GroupVector<uint8_t> seen_;
};

//! Strings and binaries, compared bytewise; Offset is int32_t or int64_t.
template <typename Offset, bool kMax>
class BinaryMinMax final : public AccumulatorBase {
 public:
  explicit BinaryMinMax(std::shared_ptr<arrow::DataType> type) : AccumulatorBase(std::move(type)) {}

  void Resize(uint32_t num_groups) override {
    if (num_groups <= num_groups_) return;
    values_.resize(num_groups);
    seen_.resize(num_groups, 0);
    num_groups_ = num_groups;
  }

  Status Consume(const arrow::ArraySpan* values, const uint32_t* group_ids, int64_t length) override {
    ForEachValid(*values, length, [&](int64_t i) {
      Update(group_ids[i], BinaryValue<Offset>(*values, i));
    });
    return Status::OK();
  }

  Status Merge(GroupedAccumulator& other, const uint32_t* group_id_mapping) override {
    ARROW_ASSIGN_OR_RAISE(auto* same, Same<BinaryMinMax>(other));
    for (uint32_t g = 0; g < same->num_groups_; ++g) {
      if (same->seen_[g] && group_id_mapping[g] != kDropGroup) Update(group_id_mapping[g], same->values_[g]);
    }
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::Array>> Finalize() override {
    return MakeBinaryArray(output_type_, values_, seen_);
  }

  Result<std::shared_ptr<arrow::Array>> SaveState() const override {
    return PackGroups(num_groups_, &values_, seen_);
  }
  Status LoadState(const arrow::Array& state) override {
    ARROW_RETURN_NOT_OK(UnpackGroups(state, &values_, seen_));
    num_groups_ = static_cast<uint32_t>(state.length());
    return Status::OK();
  }

 private:
  void Update(uint32_t g, std::string_view value) {
    // std::string_view compares as unsigned bytes, which is DuckDB's string order.
    std::string& current = values_[g];
    if (!seen_[g] || (kMax ? std::string_view(current) < value : value < std::string_view(current))) {
      current.assign(value);
      seen_[g] = 1;
    }
  }

  std::vector<std::string> values_;
  GroupVector<uint8_t> seen_;
};

template <bool kMax>
Result<std::unique_ptr<GroupedAccumulator>> MakeTyped(const AggregateSpec& spec,
                                                      const std::shared_ptr<arrow::DataType>& type) {
  switch (type->id()) {
    case arrow::Type::BOOL: return std::make_unique<FixedWidthMinMax<uint8_t, kMax, true>>(type);
    case arrow::Type::INT8: return std::make_unique<FixedWidthMinMax<int8_t, kMax>>(type);
    case arrow::Type::INT16: return std::make_unique<FixedWidthMinMax<int16_t, kMax>>(type);
    case arrow::Type::INT32:
    case arrow::Type::DATE32:
    case arrow::Type::TIME32:
    case arrow::Type::DECIMAL32:
      return std::make_unique<FixedWidthMinMax<int32_t, kMax>>(type);
    case arrow::Type::INT64:
    case arrow::Type::DATE64:
    case arrow::Type::TIME64:
    case arrow::Type::TIMESTAMP:
    case arrow::Type::DURATION:
    case arrow::Type::DECIMAL64:
      return std::make_unique<FixedWidthMinMax<int64_t, kMax>>(type);
    case arrow::Type::DECIMAL128:
      return std::make_unique<FixedWidthMinMax<Decimal128Bits, kMax>>(type);
    case arrow::Type::UINT8: return std::make_unique<FixedWidthMinMax<uint8_t, kMax>>(type);
    case arrow::Type::UINT16: return std::make_unique<FixedWidthMinMax<uint16_t, kMax>>(type);
    case arrow::Type::UINT32: return std::make_unique<FixedWidthMinMax<uint32_t, kMax>>(type);
    case arrow::Type::UINT64: return std::make_unique<FixedWidthMinMax<uint64_t, kMax>>(type);
    case arrow::Type::FLOAT: return std::make_unique<FixedWidthMinMax<float, kMax>>(type);
    case arrow::Type::DOUBLE: return std::make_unique<FixedWidthMinMax<double, kMax>>(type);
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      return std::make_unique<BinaryMinMax<int32_t, kMax>>(type);
    case arrow::Type::LARGE_STRING:
    case arrow::Type::LARGE_BINARY:
      return std::make_unique<BinaryMinMax<int64_t, kMax>>(type);
    default:
      return Status::TypeError(DisplayName(spec),
                               ": expected a numeric, boolean, string, binary or temporal column, found ",
                               FormatDataType(*type));
  }
}

}  // namespace

Result<std::unique_ptr<GroupedAccumulator>> MakeMinMaxAccumulator(
    const AggregateSpec& spec, const std::shared_ptr<arrow::DataType>& input_type) {
  if (spec.function == AggregateFunction::kMax) return MakeTyped<true>(spec, input_type);
  return MakeTyped<false>(spec, input_type);
}

}  // namespace sabot::aggregate_internal
