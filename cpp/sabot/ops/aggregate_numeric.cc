// The numeric aggregates: sum (overflow-checked int64 or float64; decimals exactly as a
// decimal(38, scale), DuckDB's sum of a decimal), mean, and the sample variance /
// standard deviation (Welford updates, Chan's formula to merge).
#include <cmath>
#include <limits>
#include <type_traits>

#include "sabot/common/type_names.h"
#include "sabot/ops/aggregate_accumulator_util.h"

namespace sabot::aggregate_internal {

namespace {

constexpr __int128 PowerOfTen(int exponent) {
  __int128 value = 1;
  for (int i = 0; i < exponent; ++i) value *= 10;
  return value;
}

//! sum of an integer column into int64 (Total), or of a decimal column stored as In
//! (int32_t, int64_t or Decimal128Bits: unscaled values) into a decimal(38, scale), exact
//! in 128 bits (Total __int128), DuckDB's sum of a decimal: money columns are decimals
//! (TPC-H's prices as stored). An overflow is an error, never a wrap.
template <typename In, typename Total = int64_t>
class ExactSum final : public AccumulatorBase {
  static constexpr bool kDecimal = std::is_same_v<Total, __int128>;

 public:
  ExactSum(std::string name, std::shared_ptr<arrow::DataType> type)
      : AccumulatorBase(std::move(type)), name_(std::move(name)) {}

  void Resize(uint32_t num_groups) override {
    if (num_groups <= num_groups_) return;
    sums_.resize(num_groups, 0);
    seen_.resize(num_groups, 0);
    num_groups_ = num_groups;
  }

  Status Consume(const arrow::ArraySpan* values, const uint32_t* group_ids, int64_t length) override {
    const In* in = values->GetValues<In>(1);
    Total* sums = sums_.data();
    uint8_t* seen = seen_.data();
    // Overflow is collected over the batch so the loop has no early exit.
    bool overflow = false;
    ForEachValid(*values, length, [&](int64_t i) {
      const uint32_t g = group_ids[i];
      if constexpr (std::is_same_v<In, uint64_t>) {
        overflow |= in[i] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
      }
      overflow |= __builtin_add_overflow(sums[g], static_cast<Total>(in[i]), &sums[g]);
      seen[g] = 1;
    });
    return overflow ? Overflow() : Status::OK();
  }

  Status Merge(GroupedAccumulator& other, const uint32_t* group_id_mapping) override {
    ARROW_ASSIGN_OR_RAISE(auto* same, Same<ExactSum>(other));
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
    if constexpr (kDecimal) {
      const __int128 bound = PowerOfTen(38);
      for (uint32_t g = 0; g < num_groups_; ++g) {
        if (sums_[g] >= bound || sums_[g] <= -bound) return Overflow();
      }
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
    return Status::Invalid(name_, kDecimal ? ": decimal overflow, the sum needs more than 38 digits"
                                           : ": integer overflow, the sum does not fit in int64");
  }

  std::string name_;
  GroupVector<Total> sums_;    // a decimal's unscaled
  GroupVector<uint8_t> seen_;  // 1 once a non-null value arrived; an all-null group sums to null
};

//! sum of a floating column into float64.
template <typename In>
class FloatingSum final : public AccumulatorBase {
 public:
  FloatingSum() : AccumulatorBase(arrow::float64()) {}

  void Resize(uint32_t num_groups) override {
    if (num_groups <= num_groups_) return;
    sums_.resize(num_groups, 0.0);
    seen_.resize(num_groups, 0);
    num_groups_ = num_groups;
  }

  Status Consume(const arrow::ArraySpan* values, const uint32_t* group_ids, int64_t length) override {
    const In* in = values->GetValues<In>(1);
    double* sums = sums_.data();
    uint8_t* seen = seen_.data();
    if (num_groups_ <= kLaneGroups) {
      Lanes<double> lanes;
      ForEachValid(*values, length, [&](int64_t i) {
        const uint32_t g = group_ids[i];
        lanes.at(i, g) += static_cast<double>(in[i]);
        seen[g] = 1;
      });
      lanes.AddTo(sums, num_groups_);
      return Status::OK();
    }
    ForEachValid(*values, length, [&](int64_t i) {
      const uint32_t g = group_ids[i];
      sums[g] += static_cast<double>(in[i]);
      seen[g] = 1;
    });
    return Status::OK();
  }

  Status Merge(GroupedAccumulator& other, const uint32_t* group_id_mapping) override {
    ARROW_ASSIGN_OR_RAISE(auto* same, Same<FloatingSum>(other));
    for (uint32_t g = 0; g < same->num_groups_; ++g) {
      if (group_id_mapping[g] == kDropGroup) continue;
      sums_[group_id_mapping[g]] += same->sums_[g];
      seen_[group_id_mapping[g]] |= same->seen_[g];
    }
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::Array>> Finalize() override {
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
  GroupVector<double> sums_;
  GroupVector<uint8_t> seen_;
};

//! mean as float64. Integers and decimals (their unscaled values, In as for ExactSum)
//! sum exactly in 128 bits (no overflow for any int64 input, as DuckDB's avg), floating
//! values in double. `unit`: what the sum is divided by besides the count (10^scale for
//! a decimal).
template <typename In>
class Mean final : public AccumulatorBase {
  using Sum = std::conditional_t<std::is_floating_point_v<In>, double, __int128>;

 public:
  explicit Mean(double unit = 1.0) : AccumulatorBase(arrow::float64()), unit_(unit) {}

  void Resize(uint32_t num_groups) override {
    if (num_groups <= num_groups_) return;
    sums_.resize(num_groups, 0);
    counts_.resize(num_groups, 0);
    num_groups_ = num_groups;
  }

  Status Consume(const arrow::ArraySpan* values, const uint32_t* group_ids, int64_t length) override {
    const In* in = values->GetValues<In>(1);
    Sum* sums = sums_.data();
    int64_t* counts = counts_.data();
    if (num_groups_ <= kLaneGroups) {
      Lanes<Sum> sum_lanes;
      Lanes<int64_t> count_lanes;
      ForEachValid(*values, length, [&](int64_t i) {
        const uint32_t g = group_ids[i];
        sum_lanes.at(i, g) += static_cast<Sum>(in[i]);
        ++count_lanes.at(i, g);
      });
      sum_lanes.AddTo(sums, num_groups_);
      count_lanes.AddTo(counts, num_groups_);
      return Status::OK();
    }
    ForEachValid(*values, length, [&](int64_t i) {
      const uint32_t g = group_ids[i];
      sums[g] += static_cast<Sum>(in[i]);
      ++counts[g];
    });
    return Status::OK();
  }

  Status Merge(GroupedAccumulator& other, const uint32_t* group_id_mapping) override {
    ARROW_ASSIGN_OR_RAISE(auto* same, Same<Mean>(other));
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
  double unit_;
  GroupVector<Sum> sums_;
  GroupVector<int64_t> counts_;
};

//! Count, mean and sum of squared deviations of one group; kept together because
//! every update touches all three.
struct Moments {
  int64_t count = 0;
  double mean = 0.0;
  double m2 = 0.0;
};

//! Sample variance or standard deviation (n - 1), null below two values. Welford's
//! update is numerically stable; partial states merge with Chan et al.'s formula.
//! `unit`: what each value is divided by (10^scale for a decimal's unscaled integers),
//! applied once at the end: the variance of x / u is the variance of x over u².
template <typename In>
class Variance final : public AccumulatorBase {
 public:
  explicit Variance(bool stddev, double unit = 1.0)
      : AccumulatorBase(arrow::float64()), stddev_(stddev), unit_(unit) {}

  void Resize(uint32_t num_groups) override {
    if (num_groups > num_groups_) moments_.resize(num_groups_ = num_groups);
  }

  Status Consume(const arrow::ArraySpan* values, const uint32_t* group_ids, int64_t length) override {
    const In* in = values->GetValues<In>(1);
    Moments* moments = moments_.data();
    ForEachValid(*values, length, [&](int64_t i) {
      Moments& m = moments[group_ids[i]];
      const double x = static_cast<double>(in[i]);
      ++m.count;
      const double delta = x - m.mean;
      m.mean += delta / static_cast<double>(m.count);
      m.m2 += delta * (x - m.mean);
    });
    return Status::OK();
  }

  Status Merge(GroupedAccumulator& other, const uint32_t* group_id_mapping) override {
    ARROW_ASSIGN_OR_RAISE(auto* same, Same<Variance>(other));
    for (uint32_t g = 0; g < same->num_groups_; ++g) {
      const Moments& b = same->moments_[g];
      if (b.count == 0 || group_id_mapping[g] == kDropGroup) continue;
      Moments& a = moments_[group_id_mapping[g]];
      const double n = static_cast<double>(a.count + b.count);
      const double delta = b.mean - a.mean;
      a.m2 += b.m2 + delta * delta * (static_cast<double>(a.count) * static_cast<double>(b.count) / n);
      a.mean += delta * (static_cast<double>(b.count) / n);
      a.count += b.count;
    }
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::Array>> Finalize() override {
    GroupVector<double> out(num_groups_, 0.0);
    GroupVector<uint8_t> valid(num_groups_, 0);
    for (uint32_t g = 0; g < num_groups_; ++g) {
      const Moments& m = moments_[g];
      if (m.count < 2) continue;
      const double variance = m.m2 / static_cast<double>(m.count - 1) / (unit_ * unit_);
      out[g] = stddev_ ? std::sqrt(variance) : variance;
      valid[g] = 1;
    }
    return MakeFixedWidthArray(output_type_, std::move(out), valid.data());
  }

  Result<std::shared_ptr<arrow::Array>> SaveState() const override {
    return PackGroups(num_groups_, nullptr, moments_);
  }
  Status LoadState(const arrow::Array& state) override {
    ARROW_RETURN_NOT_OK(UnpackGroups(state, nullptr, moments_));
    num_groups_ = static_cast<uint32_t>(state.length());
    return Status::OK();
  }

 private:
  bool stddev_;
  double unit_;
  GroupVector<Moments> moments_;
};

template <typename In>
std::unique_ptr<GroupedAccumulator> MakeTyped(const AggregateSpec& spec) {
  switch (spec.function) {
    case AggregateFunction::kSum:
      if constexpr (std::is_integral_v<In>) {
        return std::make_unique<ExactSum<In>>(DisplayName(spec), arrow::int64());
      } else {
        return std::make_unique<FloatingSum<In>>();
      }
    case AggregateFunction::kMean:
      return std::make_unique<Mean<In>>();
    case AggregateFunction::kStddev:
      return std::make_unique<Variance<In>>(/*stddev=*/true);
    default:
      return std::make_unique<Variance<In>>(/*stddev=*/false);
  }
}

// A decimal column stored as Raw (its unscaled integers): the sum exact, as DuckDB types
// it; mean, variance and stddev in float64 over the integers, scaled once at the end.
template <typename Raw>
Result<std::unique_ptr<GroupedAccumulator>> MakeDecimal(const AggregateSpec& spec, const arrow::DataType& type) {
  const int32_t scale = static_cast<const arrow::DecimalType&>(type).scale();
  const auto unit = static_cast<double>(PowerOfTen(scale));
  switch (spec.function) {
    case AggregateFunction::kSum:
      return std::make_unique<ExactSum<Raw, __int128>>(DisplayName(spec), arrow::decimal128(38, scale));
    case AggregateFunction::kMean:
      return std::make_unique<Mean<Raw>>(unit);
    case AggregateFunction::kStddev:
      return std::make_unique<Variance<Raw>>(/*stddev=*/true, unit);
    default:
      return std::make_unique<Variance<Raw>>(/*stddev=*/false, unit);
  }
}

}  // namespace

Result<std::unique_ptr<GroupedAccumulator>> MakeNumericAccumulator(
    const AggregateSpec& spec, const std::shared_ptr<arrow::DataType>& input_type) {
  switch (input_type->id()) {
    case arrow::Type::INT8: return MakeTyped<int8_t>(spec);
    case arrow::Type::INT16: return MakeTyped<int16_t>(spec);
    case arrow::Type::INT32: return MakeTyped<int32_t>(spec);
    case arrow::Type::INT64: return MakeTyped<int64_t>(spec);
    case arrow::Type::UINT8: return MakeTyped<uint8_t>(spec);
    case arrow::Type::UINT16: return MakeTyped<uint16_t>(spec);
    case arrow::Type::UINT32: return MakeTyped<uint32_t>(spec);
    case arrow::Type::UINT64: return MakeTyped<uint64_t>(spec);
    case arrow::Type::FLOAT: return MakeTyped<float>(spec);
    case arrow::Type::DOUBLE: return MakeTyped<double>(spec);
    case arrow::Type::DECIMAL32: return MakeDecimal<int32_t>(spec, *input_type);
    case arrow::Type::DECIMAL64: return MakeDecimal<int64_t>(spec, *input_type);
    case arrow::Type::DECIMAL128: return MakeDecimal<Decimal128Bits>(spec, *input_type);
    default:
      return Status::TypeError(DisplayName(spec), ": expected a numeric column, found ",
                               FormatDataType(*input_type));
  }
}

}  // namespace sabot::aggregate_internal
