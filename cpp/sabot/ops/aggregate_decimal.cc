// The aggregates of decimal columns (32, 64 and 128 bits): sum, exact in 128 bits, as a
// decimal(38, scale) (DuckDB's sum of a decimal); mean as float64; min and max in the
// input type. Money columns are decimals (TPC-H's prices), so "sum(price)" must work.
#include <cstring>
#include <limits>

#include "sabot/common/type_names.h"
#include "sabot/ops/aggregate_accumulator_util.h"

namespace sabot::aggregate_internal {

namespace {

using Int128 = __int128;

// Value i of a decimal column stored as `Raw` (int32_t, int64_t, or Int128 for decimal128,
// whose two little-endian words are one little-endian 128-bit integer), unscaled.
// Copied: a buffer need not be 16-byte aligned, which a plain Int128 load assumes.
template <typename Raw>
inline Raw LoadRaw(const uint8_t* data, int64_t i) {
  Raw value;
  std::memcpy(&value, data + i * static_cast<int64_t>(sizeof(Raw)), sizeof(Raw));
  return value;
}

template <typename Raw>
const uint8_t* RawValues(const arrow::ArraySpan& values) {
  return values.buffers[1].data + values.offset * static_cast<int64_t>(sizeof(Raw));
}

constexpr Int128 PowerOfTen(int exponent) {
  Int128 value = 1;
  for (int i = 0; i < exponent; ++i) value *= 10;
  return value;
}

// Not std::numeric_limits: without GNU extensions it knows nothing of __int128.
template <typename Raw>
constexpr Raw Lowest() {
  if constexpr (sizeof(Raw) == sizeof(Int128)) {
    return static_cast<Raw>(static_cast<unsigned __int128>(1) << 127);
  } else {
    return std::numeric_limits<Raw>::lowest();
  }
}
template <typename Raw>
constexpr Raw Highest() {
  return static_cast<Raw>(~Lowest<Raw>());
}

int32_t ScaleOf(const arrow::DataType& type) { return static_cast<const arrow::DecimalType&>(type).scale(); }

//! sum into a decimal(38, scale); past 38 digits an error, never a wrap.
template <typename Raw>
class DecimalSum final : public AccumulatorBase {
 public:
  DecimalSum(std::string name, int32_t scale)
      : AccumulatorBase(arrow::decimal128(38, scale)), name_(std::move(name)) {}

  void Resize(uint32_t num_groups) override {
    if (num_groups <= num_groups_) return;
    sums_.resize(num_groups, 0);
    seen_.resize(num_groups, 0);
    num_groups_ = num_groups;
  }

  Status Consume(const arrow::ArraySpan* values, const uint32_t* group_ids, int64_t length) override {
    const uint8_t* in = RawValues<Raw>(*values);
    Int128* sums = sums_.data();
    uint8_t* seen = seen_.data();
    bool overflow = false;  // collected over the batch: the loop has no early exit
    ForEachValid(*values, length, [&](int64_t i) {
      const uint32_t g = group_ids[i];
      overflow |= __builtin_add_overflow(sums[g], static_cast<Int128>(LoadRaw<Raw>(in, i)), &sums[g]);
      seen[g] = 1;
    });
    return overflow ? Overflow() : Status::OK();
  }

  Status Merge(GroupedAccumulator& other, const uint32_t* group_id_mapping) override {
    ARROW_ASSIGN_OR_RAISE(auto* same, Same<DecimalSum>(other));
    bool overflow = false;
    for (uint32_t g = 0; g < same->num_groups_; ++g) {
      const uint32_t to = group_id_mapping[g];
      if (to == kDropGroup) continue;
      overflow |= __builtin_add_overflow(sums_[to], same->sums_[g], &sums_[to]);
      seen_[to] |= same->seen_[g];
    }
    return overflow ? Overflow() : Status::OK();
  }

  Result<std::shared_ptr<arrow::Array>> Finalize() override {
    constexpr Int128 kBound = PowerOfTen(38);
    for (uint32_t g = 0; g < num_groups_; ++g) {
      if (sums_[g] >= kBound || sums_[g] <= -kBound) return Overflow();
    }
    return MakeFixedWidthArray(output_type_, std::move(sums_), seen_.data());
  }

  Result<std::shared_ptr<arrow::Array>> SaveState() const override {
    return PackGroups(num_groups_, nullptr, sums_, seen_);
  }
  Status LoadState(const arrow::Array& state) override {
    ARROW_RETURN_NOT_OK(UnpackGroups(state, nullptr, sums_, seen_));
    num_groups_ = static_cast<uint32_t>(state.length());
    return Status::OK();
  }

 private:
  Status Overflow() const {
    return Status::Invalid(name_, ": decimal overflow, the sum needs more than 38 digits");
  }

  std::string name_;
  GroupVector<Int128> sums_;   // unscaled
  GroupVector<uint8_t> seen_;  // 1 once a non-null value arrived; an all-null group sums to null
};

//! mean as float64: the exact 128-bit sum, divided by the count and by 10^scale.
template <typename Raw>
class DecimalMean final : public AccumulatorBase {
 public:
  explicit DecimalMean(int32_t scale)
      : AccumulatorBase(arrow::float64()), unit_(static_cast<double>(PowerOfTen(scale))) {}

  void Resize(uint32_t num_groups) override {
    if (num_groups <= num_groups_) return;
    sums_.resize(num_groups, 0);
    counts_.resize(num_groups, 0);
    num_groups_ = num_groups;
  }

  Status Consume(const arrow::ArraySpan* values, const uint32_t* group_ids, int64_t length) override {
    const uint8_t* in = RawValues<Raw>(*values);
    Int128* sums = sums_.data();
    int64_t* counts = counts_.data();
    // No overflow check: 2^63 values of at most 10^38 do not reach 2^127.
    ForEachValid(*values, length, [&](int64_t i) {
      const uint32_t g = group_ids[i];
      sums[g] += static_cast<Int128>(LoadRaw<Raw>(in, i));
      ++counts[g];
    });
    return Status::OK();
  }

  Status Merge(GroupedAccumulator& other, const uint32_t* group_id_mapping) override {
    ARROW_ASSIGN_OR_RAISE(auto* same, Same<DecimalMean>(other));
    for (uint32_t g = 0; g < same->num_groups_; ++g) {
      if (group_id_mapping[g] == kDropGroup) continue;
      sums_[group_id_mapping[g]] += same->sums_[g];
      counts_[group_id_mapping[g]] += same->counts_[g];
    }
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::Array>> Finalize() override {
    GroupVector<double> means(num_groups_, 0.0);
    GroupVector<uint8_t> valid(num_groups_, 0);
    for (uint32_t g = 0; g < num_groups_; ++g) {
      if (counts_[g] == 0) continue;
      means[g] = static_cast<double>(sums_[g]) / static_cast<double>(counts_[g]) / unit_;
      valid[g] = 1;
    }
    return MakeFixedWidthArray(output_type_, std::move(means), valid.data());
  }

  Result<std::shared_ptr<arrow::Array>> SaveState() const override {
    return PackGroups(num_groups_, nullptr, sums_, counts_);
  }
  Status LoadState(const arrow::Array& state) override {
    ARROW_RETURN_NOT_OK(UnpackGroups(state, nullptr, sums_, counts_));
    num_groups_ = static_cast<uint32_t>(state.length());
    return Status::OK();
  }

 private:
  double unit_;  // 10^scale
  GroupVector<Int128> sums_;
  GroupVector<int64_t> counts_;
};

//! min or max, kept as stored (unscaled, one scale for the column), in the input type.
template <typename Raw, bool kMax>
class DecimalMinMax final : public AccumulatorBase {
 public:
  explicit DecimalMinMax(std::shared_ptr<arrow::DataType> type) : AccumulatorBase(std::move(type)) {}

  void Resize(uint32_t num_groups) override {
    if (num_groups <= num_groups_) return;
    // Starting from the identity makes the update a branch-free select.
    values_.resize(num_groups, kMax ? Lowest<Raw>() : Highest<Raw>());
    seen_.resize(num_groups, 0);
    num_groups_ = num_groups;
  }

  Status Consume(const arrow::ArraySpan* values, const uint32_t* group_ids, int64_t length) override {
    const uint8_t* in = RawValues<Raw>(*values);
    Raw* out = values_.data();
    uint8_t* seen = seen_.data();
    ForEachValid(*values, length, [&](int64_t i) {
      Update(out[group_ids[i]], LoadRaw<Raw>(in, i));
      seen[group_ids[i]] = 1;
    });
    return Status::OK();
  }

  Status Merge(GroupedAccumulator& other, const uint32_t* group_id_mapping) override {
    ARROW_ASSIGN_OR_RAISE(auto* same, Same<DecimalMinMax>(other));
    for (uint32_t g = 0; g < same->num_groups_; ++g) {
      if (!same->seen_[g] || group_id_mapping[g] == kDropGroup) continue;
      Update(values_[group_id_mapping[g]], same->values_[g]);
      seen_[group_id_mapping[g]] = 1;
    }
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::Array>> Finalize() override {
    return MakeFixedWidthArray(output_type_, std::move(values_), seen_.data());
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
  static void Update(Raw& current, Raw value) { current = (kMax ? current < value : value < current) ? value : current; }

  GroupVector<Raw> values_;
  GroupVector<uint8_t> seen_;
};

template <typename Raw>
Result<std::unique_ptr<GroupedAccumulator>> MakeTyped(const AggregateSpec& spec,
                                                      const std::shared_ptr<arrow::DataType>& type) {
  switch (spec.function) {
    case AggregateFunction::kSum:
      return std::make_unique<DecimalSum<Raw>>(DisplayName(spec), ScaleOf(*type));
    case AggregateFunction::kMean:
      return std::make_unique<DecimalMean<Raw>>(ScaleOf(*type));
    case AggregateFunction::kMin:
      return std::make_unique<DecimalMinMax<Raw, false>>(type);
    case AggregateFunction::kMax:
      return std::make_unique<DecimalMinMax<Raw, true>>(type);
    default:
      return Status::TypeError(DisplayName(spec), ": not defined for decimal columns (", FormatDataType(*type),
                               "); cast the column to float64 first");
  }
}

}  // namespace

bool IsDecimalAggregable(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::DECIMAL32:
    case arrow::Type::DECIMAL64:
    case arrow::Type::DECIMAL128:
      return true;
    default:
      return false;
  }
}

Result<std::unique_ptr<GroupedAccumulator>> MakeDecimalAccumulator(const AggregateSpec& spec,
                                                                   const std::shared_ptr<arrow::DataType>& type) {
  switch (type->id()) {
    case arrow::Type::DECIMAL32: return MakeTyped<int32_t>(spec, type);
    case arrow::Type::DECIMAL64: return MakeTyped<int64_t>(spec, type);
    case arrow::Type::DECIMAL128: return MakeTyped<Int128>(spec, type);
    default:
      return Status::UnknownError("internal error (a bug in sabot): ", DisplayName(spec), " given ",
                                  FormatDataType(*type), " as a decimal");
  }
}

}  // namespace sabot::aggregate_internal
