// count_distinct: distinct non-null values per group, found by hashing (group id,
// value) pairs with Arrow's vectorized Grouper, so no per-group hash set exists.
#include <algorithm>
#include <cstring>

#include <arrow/array.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/row/grouper.h>

#include "sabot/common/type_names.h"
#include "sabot/ops/aggregate_accumulator_util.h"

namespace sabot::aggregate_internal {

namespace {

class CountDistinctAccumulator final : public AccumulatorBase {
 public:
  explicit CountDistinctAccumulator(std::unique_ptr<arrow::compute::Grouper> pairs)
      : AccumulatorBase(arrow::int64()), pairs_(std::move(pairs)) {}

  void Resize(uint32_t num_groups) override {
    if (num_groups > num_groups_) counts_.resize(num_groups_ = num_groups, 0);
  }

  Status Consume(const arrow::ArraySpan* values, const uint32_t* group_ids, int64_t length) override {
    return AddPairs(group_ids, *values, length);
  }

  Status Merge(GroupedAccumulator& other, const uint32_t* group_id_mapping) override {
    ARROW_ASSIGN_OR_RAISE(auto* same, Same<CountDistinctAccumulator>(other));
    ARROW_ASSIGN_OR_RAISE(arrow::compute::ExecBatch uniques, same->pairs_->GetUniques());
    const auto& other_groups = *uniques.values[0].array();
    const uint32_t* other_ids = other_groups.GetValues<uint32_t>(1);
    std::vector<uint32_t> mapped(static_cast<size_t>(uniques.length));
    std::vector<int32_t> kept;  // pair rows whose group is carried over, when some are not
    for (int64_t i = 0; i < uniques.length; ++i) mapped[i] = group_id_mapping[other_ids[i]];
    if (std::find(mapped.begin(), mapped.end(), kDropGroup) == mapped.end()) {
      return AddPairs(mapped.data(), arrow::ArraySpan(*uniques.values[1].array()), uniques.length);
    }
    for (int64_t i = 0; i < uniques.length; ++i) {
      if (mapped[i] != kDropGroup) kept.push_back(static_cast<int32_t>(i));
    }
    std::vector<uint32_t> kept_groups;
    for (int32_t i : kept) kept_groups.push_back(mapped[static_cast<size_t>(i)]);
    arrow::Int32Array indices(static_cast<int64_t>(kept.size()), arrow::Buffer::Wrap(kept));
    ARROW_ASSIGN_OR_RAISE(auto values, arrow::compute::Take(uniques.values[1].make_array(), indices));
    return AddPairs(kept_groups.data(), arrow::ArraySpan(*values.array()), static_cast<int64_t>(kept.size()));
  }

  Result<std::shared_ptr<arrow::Array>> Finalize() override {
    return MakeFixedWidthArray(output_type_, counts_, nullptr);
  }

  //! Each group's distinct values (a null among them too) as one list.
  Result<std::shared_ptr<arrow::Array>> SaveState() const override {
    ARROW_ASSIGN_OR_RAISE(arrow::compute::ExecBatch uniques, pairs_->GetUniques());
    const uint32_t* pair_groups = uniques.values[0].array()->GetValues<uint32_t>(1);
    std::vector<int32_t> offsets(num_groups_ + 1, 0);
    for (int64_t i = 0; i < uniques.length; ++i) ++offsets[pair_groups[i] + 1];
    for (uint32_t g = 0; g < num_groups_; ++g) offsets[g + 1] += offsets[g];
    std::vector<int32_t> order(static_cast<size_t>(uniques.length));
    std::vector<int32_t> next(offsets.begin(), offsets.end() - 1);
    for (int64_t i = 0; i < uniques.length; ++i) order[next[pair_groups[i]]++] = static_cast<int32_t>(i);
    arrow::Int32Array indices(static_cast<int64_t>(order.size()), arrow::Buffer::Wrap(order));
    ARROW_ASSIGN_OR_RAISE(auto values, arrow::compute::Take(uniques.values[1].make_array(), indices));
    // The list keeps its offsets buffer, so it must own it (not wrap this frame's vector).
    const auto offset_bytes = static_cast<int64_t>(offsets.size() * sizeof(int32_t));
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> offset_buffer, arrow::AllocateBuffer(offset_bytes));
    std::memcpy(offset_buffer->mutable_data(), offsets.data(), static_cast<size_t>(offset_bytes));
    arrow::Int32Array list_offsets(static_cast<int64_t>(offsets.size()), offset_buffer);
    ARROW_ASSIGN_OR_RAISE(auto lists, arrow::ListArray::FromArrays(list_offsets, *values.make_array()));
    return lists;
  }

  Status LoadState(const arrow::Array& state) override {
    if (state.type_id() != arrow::Type::LIST) {
      return Status::Invalid("count_distinct state: expected a list array, found ", state.type()->ToString());
    }
    const auto& lists = static_cast<const arrow::ListArray&>(state);
    Resize(static_cast<uint32_t>(lists.length()));
    std::vector<uint32_t> groups;
    for (int64_t g = 0; g < lists.length(); ++g) groups.insert(groups.end(), lists.value_length(g), g);
    ARROW_ASSIGN_OR_RAISE(auto values, lists.Flatten());
    if (static_cast<int64_t>(groups.size()) != values->length()) {
      return Status::Invalid("count_distinct state: list offsets do not cover the values");
    }
    return AddPairs(groups.data(), arrow::ArraySpan(*values->data()), values->length());
  }

 private:
  // Counts each (group, value) pair the first time the pair grouper sees it.
  Status AddPairs(const uint32_t* group_ids, const arrow::ArraySpan& values, int64_t length) {
    arrow::ArraySpan groups(arrow::uint32().get(), length);
    groups.buffers[1].data = reinterpret_cast<uint8_t*>(const_cast<uint32_t*>(group_ids));
    groups.buffers[1].size = length * static_cast<int64_t>(sizeof(uint32_t));
    groups.null_count = 0;
    arrow::compute::ExecSpan batch({arrow::compute::ExecValue(groups), arrow::compute::ExecValue(values)},
                                   length);
    const uint32_t known = pairs_->num_groups();
    ARROW_ASSIGN_OR_RAISE(arrow::Datum pair_ids_datum, pairs_->Consume(batch));
    const uint32_t* pair_ids = pair_ids_datum.array()->GetValues<uint32_t>(1);
    // Pair ids >= known are new; the first row carrying each is the one to count.
    std::vector<uint8_t> counted(pairs_->num_groups() - known, 0);
    if (counted.empty()) return Status::OK();
    const bool may_have_nulls = MayHaveNulls(values);
    for (int64_t i = 0; i < length; ++i) {
      const uint32_t pair = pair_ids[i];
      if (pair < known || counted[pair - known]) continue;
      counted[pair - known] = 1;
      if (!may_have_nulls || IsValid(values, i)) ++counts_[group_ids[i]];
    }
    return Status::OK();
  }

  std::unique_ptr<arrow::compute::Grouper> pairs_;
  std::vector<int64_t> counts_;
};

}  // namespace

Result<std::unique_ptr<GroupedAccumulator>> MakeCountDistinctAccumulator(
    const AggregateSpec& spec, const std::shared_ptr<arrow::DataType>& input_type) {
  auto pairs = arrow::compute::Grouper::Make({arrow::uint32(), input_type});
  if (!pairs.ok()) {
    return Status::TypeError(DisplayName(spec), ": values of type ", FormatDataType(*input_type),
                             " cannot be compared for distinctness");
  }
  return std::make_unique<CountDistinctAccumulator>(std::move(*pairs));
}

}  // namespace sabot::aggregate_internal
