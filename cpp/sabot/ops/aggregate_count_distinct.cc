// count_distinct: distinct non-null values per group, found by hashing (group id,
// value) pairs, so no per-group hash set exists. Integer-like values (the usual ids:
// Nexmark's bidders and auctions) go in Sabot's own open-addressing table of (group,
// value) slots; other types in Arrow's vectorized Grouper, whose row encoding and
// comparisons were three quarters of Nexmark q15's time for integers.
#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>

#include <arrow/array.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/row/grouper.h>
#include <arrow/type_traits.h>

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
  int64_t merge_entries() const override { return pairs_->num_groups(); }

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
    return MakeFixedWidthArray(output_type_, std::move(counts_), nullptr);
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
  GroupVector<int64_t> counts_;
};

// The set of (group, value) pairs seen, values widened to 64 bits: linear probing in a
// power-of-two table kept at most half full. Slot group 0 marks an empty slot, so groups
// are stored plus one.
class PairSet {
 public:
  PairSet() { Rehash(kInitialSlots); }

  //! Adds the pair; true when it was not there yet.
  bool Insert(uint32_t group, uint64_t value) {
    Reserve(1);
    return InsertHashed(group, value, Hash(group, value));
  }

  //! Inserts the pairs (group_ids[i], bits[i]) of the rows i in `rows` and calls
  //! new_pair(i) for each pair that was not there yet. Sets of ids seen over a day
  //! outgrow the caches, so the slots of a run of rows are prefetched before any of them
  //! is probed: the misses overlap instead of following one another.
  template <typename Bits, typename F>
  void InsertRows(const uint32_t* group_ids, const Bits* bits, const int64_t* rows, int64_t count, F&& new_pair) {
    InsertEach(
        count, [&](int64_t k) { return group_ids[rows[k]]; },
        [&](int64_t k) { return static_cast<uint64_t>(bits[rows[k]]); }, [&](int64_t k) { new_pair(rows[k]); });
  }

  //! Inserts the pairs (group_of(k), value_of(k)) for k < count and calls new_pair(k)
  //! for each that was not there yet, a run of slots prefetched at a time (InsertRows).
  template <typename GroupOf, typename ValueOf, typename F>
  void InsertEach(int64_t count, GroupOf&& group_of, ValueOf&& value_of, F&& new_pair) {
    constexpr int64_t kRun = 32;
    size_t hashes[kRun];
    for (int64_t start = 0; start < count; start += kRun) {
      const int64_t n = std::min(kRun, count - start);
      Reserve(static_cast<size_t>(n));
      for (int64_t k = 0; k < n; ++k) {
        hashes[k] = Hash(group_of(start + k), value_of(start + k));
        __builtin_prefetch(&slots_[hashes[k] & mask_]);
      }
      for (int64_t k = 0; k < n; ++k) {
        if (InsertHashed(group_of(start + k), value_of(start + k), hashes[k])) new_pair(start + k);
      }
    }
  }

  //! Calls f(group, value) for every pair.
  template <typename F>
  void ForEach(F&& f) const {
    for (const Slot& slot : slots_) {
      if (slot.group != 0) f(slot.group - 1, slot.value);
    }
  }

  size_t size() const { return size_; }

  //! Room for `more` pairs without passing half full (growing rehashes every pair).
  void Reserve(size_t more) {
    if (2 * (size_ + more) <= slots_.size()) return;
    size_t slots = slots_.size();
    while (2 * (size_ + more) > slots) slots *= 2;
    Rehash(slots);
  }

 private:
  struct Slot {
    uint64_t value;
    uint32_t group;  // plus one; 0 = empty
  };
  static constexpr size_t kInitialSlots = 1024;

  bool InsertHashed(uint32_t group, uint64_t value, size_t hash) {
    const uint32_t tag = group + 1;
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.group == 0) {
        slot = {value, tag};
        ++size_;
        return true;
      }
      if (slot.group == tag && slot.value == value) return false;
    }
  }

  static size_t Hash(uint32_t group, uint64_t value) {
    // Multiply-xorshift finalizer over both parts: ids that differ in low bits only
    // still spread over the table.
    uint64_t h = (value ^ (static_cast<uint64_t>(group) << 32 | group)) * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    return static_cast<size_t>(h ^ (h >> 32));
  }

  void Rehash(size_t slots) {
    GroupVector<Slot> old;
    old.swap(slots_);
    slots_.assign(slots, Slot{0, 0});
    mask_ = slots - 1;
    size_ = 0;
    // A run of pairs at a time, their new slots prefetched first (as in InsertEach).
    constexpr size_t kRun = 32;
    const Slot* run[kRun];
    size_t hashes[kRun];
    size_t n = 0;
    auto insert_run = [&] {
      for (size_t k = 0; k < n; ++k) InsertHashed(run[k]->group - 1, run[k]->value, hashes[k]);
      n = 0;
    };
    for (const Slot& slot : old) {
      if (slot.group == 0) continue;
      run[n] = &slot;
      hashes[n] = Hash(slot.group - 1, slot.value);
      __builtin_prefetch(&slots_[hashes[n] & mask_]);
      if (++n == kRun) insert_run();
    }
    insert_run();
  }

  GroupVector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

// Pairs bound for one PairSet, gathered from a walk over another and inserted a run at
// a time (PairSet::InsertEach), each new pair counted for its group. A merge re-inserts
// every pair of a partial state: one by one, each waited on its slot's cache miss
// (TPC-H Q16 merges 1.2M pairs, a tenth of its CPU time in those waits).
class CountingInserter {
 public:
  CountingInserter(PairSet& set, GroupVector<int64_t>& counts) : set_(&set), counts_(&counts) {}

  void Add(uint32_t group, uint64_t value) {
    groups_[size_] = group;
    values_[size_] = value;
    if (++size_ == kBuffer) Flush();
  }

  void Flush() {
    set_->InsertEach(
        static_cast<int64_t>(size_), [&](int64_t k) { return groups_[k]; }, [&](int64_t k) { return values_[k]; },
        [&](int64_t k) { ++(*counts_)[groups_[k]]; });
    size_ = 0;
  }

 private:
  static constexpr size_t kBuffer = 256;
  PairSet* set_;
  GroupVector<int64_t>* counts_;
  std::array<uint32_t, kBuffer> groups_;
  std::array<uint64_t, kBuffer> values_;
  size_t size_ = 0;
};

// count_distinct over a fixed-width integer-like type of `Width` bytes (integers, dates,
// times, timestamps, durations): values are their bits, so no type needs its own path.
template <int Width>
class IntCountDistinctAccumulator final : public AccumulatorBase {
  using Bits = std::conditional_t<Width == 1, uint8_t,
                                  std::conditional_t<Width == 2, uint16_t, std::conditional_t<Width == 4, uint32_t, uint64_t>>>;

 public:
  explicit IntCountDistinctAccumulator(std::shared_ptr<arrow::DataType> input_type)
      : AccumulatorBase(arrow::int64()), input_type_(std::move(input_type)) {}

  void Resize(uint32_t num_groups) override {
    if (num_groups > num_groups_) counts_.resize(num_groups_ = num_groups, 0);
  }
  int64_t merge_entries() const override { return static_cast<int64_t>(pairs_.size()); }

  Status Consume(const arrow::ArraySpan* values, const uint32_t* group_ids, int64_t length) override {
    const Bits* bits = values->GetValues<Bits>(1);
    rows_.clear();
    ForEachValid(*values, length, [&](int64_t i) { rows_.push_back(i); });
    pairs_.InsertRows(group_ids, bits, rows_.data(), static_cast<int64_t>(rows_.size()),
                      [&](int64_t i) { ++counts_[group_ids[i]]; });
    return Status::OK();
  }

  Status Merge(GroupedAccumulator& other, const uint32_t* group_id_mapping) override {
    ARROW_ASSIGN_OR_RAISE(auto* same, Same<IntCountDistinctAccumulator>(other));
    pairs_.Reserve(same->pairs_.size());
    CountingInserter into(pairs_, counts_);
    same->pairs_.ForEach([&](uint32_t group, uint64_t value) {
      const uint32_t to = group_id_mapping[group];
      if (to != kDropGroup) into.Add(to, value);
    });
    into.Flush();
    return Status::OK();
  }

  // One walk over the pairs, not one per part (the default): the pairs outnumber the
  // groups, and a parallel merge splits every split's state into as many parts as threads.
  Status SplitInto(const std::vector<GroupedAccumulator*>& parts, const uint8_t* part_of,
                   const uint32_t* new_ids) override {
    std::vector<IntCountDistinctAccumulator*> into;
    for (GroupedAccumulator* part : parts) {
      ARROW_ASSIGN_OR_RAISE(auto* same, Same<IntCountDistinctAccumulator>(*part));
      into.push_back(same);
    }
    std::vector<size_t> pairs_per_part(parts.size(), 0);
    pairs_.ForEach([&](uint32_t group, uint64_t) { ++pairs_per_part[part_of[group]]; });
    std::vector<CountingInserter> inserters;
    for (size_t p = 0; p < parts.size(); ++p) {
      into[p]->pairs_.Reserve(pairs_per_part[p]);
      inserters.emplace_back(into[p]->pairs_, into[p]->counts_);
    }
    pairs_.ForEach([&](uint32_t group, uint64_t value) { inserters[part_of[group]].Add(new_ids[group], value); });
    for (auto& inserter : inserters) inserter.Flush();
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::Array>> Finalize() override {
    return MakeFixedWidthArray(output_type_, std::move(counts_), nullptr);
  }

  //! Each group's distinct values as one list of the input type (the format of the
  //! general accumulator's state, so either can read the other's).
  Result<std::shared_ptr<arrow::Array>> SaveState() const override {
    std::vector<int32_t> offsets(num_groups_ + 1, 0);
    pairs_.ForEach([&](uint32_t group, uint64_t) { ++offsets[group + 1]; });
    for (uint32_t g = 0; g < num_groups_; ++g) offsets[g + 1] += offsets[g];
    std::vector<Bits> values(pairs_.size());
    std::vector<int32_t> next(offsets.begin(), offsets.end() - 1);
    pairs_.ForEach([&](uint32_t group, uint64_t value) { values[next[group]++] = static_cast<Bits>(value); });
    ARROW_ASSIGN_OR_RAISE(auto value_array, MakeFixedWidthArray(input_type_, values, nullptr));
    ARROW_ASSIGN_OR_RAISE(auto offset_array, MakeFixedWidthArray(arrow::int32(), offsets, nullptr));
    return arrow::ListArray::FromArrays(*offset_array, *value_array);
  }

  Status LoadState(const arrow::Array& state) override {
    if (state.type_id() != arrow::Type::LIST) {
      return Status::Invalid("count_distinct state: expected a list array, found ", state.type()->ToString());
    }
    const auto& lists = static_cast<const arrow::ListArray&>(state);
    if (!lists.value_type()->Equals(*input_type_)) {
      return Status::Invalid("count_distinct state: expected values of type ", input_type_->ToString(), ", found ",
                             lists.value_type()->ToString());
    }
    Resize(static_cast<uint32_t>(lists.length()));
    ARROW_ASSIGN_OR_RAISE(auto values, lists.Flatten());
    const arrow::ArraySpan span(*values->data());
    const Bits* bits = span.GetValues<Bits>(1);
    for (int64_t g = 0; g < lists.length(); ++g) {
      const int64_t begin = lists.value_offset(g) - lists.value_offset(0);
      for (int64_t i = begin; i < begin + lists.value_length(g); ++i) {
        if (IsValid(span, i) && pairs_.Insert(static_cast<uint32_t>(g), bits[i])) ++counts_[g];
      }
    }
    return Status::OK();
  }

 private:
  std::shared_ptr<arrow::DataType> input_type_;
  PairSet pairs_;
  GroupVector<int64_t> counts_;
  std::vector<int64_t> rows_;  // Consume's non-null rows, kept to reuse the allocation
};

// The integer-like types whose values are equal exactly when their bits are.
bool IsBitComparable(const arrow::DataType& type) {
  return arrow::is_integer(type.id()) || arrow::is_temporal(type.id()) || type.id() == arrow::Type::DURATION;
}

}  // namespace

Result<std::unique_ptr<GroupedAccumulator>> MakeCountDistinctAccumulator(
    const AggregateSpec& spec, const std::shared_ptr<arrow::DataType>& input_type) {
  if (IsBitComparable(*input_type)) {
    switch (input_type->byte_width()) {
      case 1:
        return std::make_unique<IntCountDistinctAccumulator<1>>(input_type);
      case 2:
        return std::make_unique<IntCountDistinctAccumulator<2>>(input_type);
      case 4:
        return std::make_unique<IntCountDistinctAccumulator<4>>(input_type);
      case 8:
        return std::make_unique<IntCountDistinctAccumulator<8>>(input_type);
      default:
        break;
    }
  }
  auto pairs = arrow::compute::Grouper::Make({arrow::uint32(), input_type});
  if (!pairs.ok()) {
    return Status::TypeError(DisplayName(spec), ": values of type ", FormatDataType(*input_type),
                             " cannot be compared for distinctness");
  }
  return std::make_unique<CountDistinctAccumulator>(std::move(*pairs));
}

}  // namespace sabot::aggregate_internal
