// count(x) (non-null values) and count_all (rows): one int64 counter per group.
#include <arrow/array/data.h>

#include "sabot/ops/aggregate_accumulator_util.h"

namespace sabot::aggregate_internal {

namespace {

class CountAccumulator final : public AccumulatorBase {
 public:
  explicit CountAccumulator(bool count_rows) : AccumulatorBase(arrow::int64()), count_rows_(count_rows) {}

  void Resize(uint32_t num_groups) override {
    if (num_groups > num_groups_) counts_.resize(num_groups_ = num_groups, 0);
  }

  Status Consume(const arrow::ArraySpan* values, const uint32_t* group_ids, int64_t length) override {
    int64_t* counts = counts_.data();
    if (count_rows_ || !MayHaveNulls(*values)) {
      if (num_groups_ <= kLaneGroups) {
        Lanes<int64_t> lanes;
        for (int64_t i = 0; i < length; ++i) ++lanes.at(i, group_ids[i]);
        lanes.AddTo(counts, num_groups_);
        return Status::OK();
      }
      for (int64_t i = 0; i < length; ++i) ++counts[group_ids[i]];
      return Status::OK();
    }
    // With nulls, adding the validity bit avoids a branch per row.
    const uint8_t* bits = values->buffers[0].data;
    const int64_t offset = values->offset;
    for (int64_t i = 0; i < length; ++i) {
      counts[group_ids[i]] += arrow::bit_util::GetBit(bits, offset + i);
    }
    return Status::OK();
  }

  Status Merge(GroupedAccumulator& other, const uint32_t* group_id_mapping) override {
    ARROW_ASSIGN_OR_RAISE(auto* same, Same<CountAccumulator>(other));
    for (uint32_t g = 0; g < same->num_groups_; ++g) {
      if (group_id_mapping[g] != kDropGroup) counts_[group_id_mapping[g]] += same->counts_[g];
    }
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::Array>> Finalize() override {
    return MakeFixedWidthArray(output_type_, std::move(counts_), nullptr);
  }

  Result<std::shared_ptr<arrow::Array>> SaveState() const override {
    return PackGroups(num_groups_, nullptr, counts_);
  }
  Status LoadState(const arrow::Array& state) override {
    ARROW_RETURN_NOT_OK(UnpackGroups(state, nullptr, counts_));
    num_groups_ = static_cast<uint32_t>(state.length());
    return Status::OK();
  }

 private:
  bool count_rows_;
  GroupVector<int64_t> counts_;
};

}  // namespace

Result<std::unique_ptr<GroupedAccumulator>> MakeCountAccumulator(
    const AggregateSpec& spec, const std::shared_ptr<arrow::DataType>& input_type) {
  // count takes every type: it only reads validity.
  return std::make_unique<CountAccumulator>(spec.function == AggregateFunction::kCountAll);
}

}  // namespace sabot::aggregate_internal
