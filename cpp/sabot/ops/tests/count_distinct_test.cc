// count_distinct accumulators (the integer pair table and Arrow's Grouper path) against
// a std::set reference: random groups and values with nulls, consumed in parts, merged
// with groups renumbered or dropped, and carried through SaveState/LoadState.
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <vector>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include "sabot/ops/aggregate_accumulator.h"

namespace sabot {
namespace {

struct Input {
  std::vector<uint32_t> groups;
  std::shared_ptr<arrow::Array> values;
};

// `n` rows over `groups` groups; values from a small range so pairs repeat, one in
// eight null.
Input RandomInput(const std::shared_ptr<arrow::DataType>& type, int64_t n, uint32_t groups, std::mt19937_64& rng) {
  Input in;
  arrow::Int64Builder wide;
  for (int64_t i = 0; i < n; ++i) {
    in.groups.push_back(static_cast<uint32_t>(rng() % groups));
    EXPECT_TRUE((rng() % 8 == 0 ? wide.AppendNull() : wide.Append(static_cast<int64_t>(rng() % 300) - 100)).ok());
  }
  auto ints = wide.Finish().ValueOrDie();
  if (type->id() == arrow::Type::STRING) {
    in.values = arrow::compute::Cast(*ints, type).ValueOrDie();
  } else if (type->id() == arrow::Type::UINT8) {
    in.values = arrow::compute::Cast(*ints, type, arrow::compute::CastOptions::Unsafe(type)).ValueOrDie();
  } else {
    auto storage = type->byte_width() == 4 ? arrow::compute::Cast(*ints, arrow::int32()).ValueOrDie() : ints;
    in.values = storage->View(type).ValueOrDie();
  }
  return in;
}

using Reference = std::map<uint32_t, std::set<std::string>>;

void AddToReference(const Input& in, const std::vector<uint32_t>* mapping, Reference* ref) {
  for (int64_t i = 0; i < in.values->length(); ++i) {
    uint32_t g = in.groups[static_cast<size_t>(i)];
    if (mapping != nullptr) g = (*mapping)[g];
    if (g == kDropGroup) continue;
    (*ref)[g];  // a group with only nulls still exists, with count 0
    if (in.values->IsValid(i)) (*ref)[g].insert(in.values->GetScalar(i).ValueOrDie()->ToString());
  }
}

void Consume(GroupedAccumulator& acc, const Input& in, int64_t parts) {
  const int64_t n = in.values->length();
  for (int64_t p = 0; p < parts; ++p) {
    const int64_t begin = n * p / parts, end = n * (p + 1) / parts;
    auto slice = in.values->Slice(begin, end - begin);
    const arrow::ArraySpan span(*slice->data());
    ASSERT_TRUE(acc.Consume(&span, in.groups.data() + begin, end - begin).ok());
  }
}

void ExpectCounts(GroupedAccumulator& acc, const Reference& ref, uint32_t groups, const std::string& what) {
  auto counts = acc.Finalize().ValueOrDie();
  ASSERT_EQ(counts->length(), groups) << what;
  const auto& c = static_cast<const arrow::Int64Array&>(*counts);
  for (uint32_t g = 0; g < groups; ++g) {
    const auto it = ref.find(g);
    EXPECT_EQ(c.Value(g), it == ref.end() ? 0 : static_cast<int64_t>(it->second.size())) << what << " group " << g;
  }
}

TEST(CountDistinct, EqualsSetsAfterConsumeMergeAndRestore) {
  std::mt19937_64 rng(5);
  const AggregateSpec spec{AggregateFunction::kCountDistinct, "v", "n"};
  for (const auto& type : {arrow::int64(), arrow::int32(), arrow::uint8(), arrow::date32(),
                           arrow::timestamp(arrow::TimeUnit::MICRO), arrow::utf8()}) {
    SCOPED_TRACE(type->ToString());
    const uint32_t groups = 50;
    // Grows the pair table past its first size several times.
    const Input a = RandomInput(type, 40'000, groups, rng);
    const Input b = RandomInput(type, 30'000, groups, rng);

    auto first = MakeAccumulator(spec, type).ValueOrDie();
    first->Resize(groups);
    Consume(*first, a, 7);
    Reference ref_a;
    AddToReference(a, nullptr, &ref_a);

    // Merge b's accumulator with its groups reversed and every fifth dropped.
    auto second = MakeAccumulator(spec, type).ValueOrDie();
    second->Resize(groups);
    Consume(*second, b, 3);
    std::vector<uint32_t> mapping(groups);
    for (uint32_t g = 0; g < groups; ++g) mapping[g] = g % 5 == 0 ? kDropGroup : groups - 1 - g;
    ASSERT_TRUE(first->Merge(*second, mapping.data()).ok());
    Reference ref_ab = ref_a;
    AddToReference(b, &mapping, &ref_ab);

    // A snapshot restored into a fresh accumulator counts the same.
    auto state = first->SaveState().ValueOrDie();
    ASSERT_TRUE(state->ValidateFull().ok());
    auto restored = MakeAccumulator(spec, type).ValueOrDie();
    ASSERT_TRUE(restored->LoadState(*state).ok());
    EXPECT_EQ(restored->num_groups(), groups);

    ExpectCounts(*first, ref_ab, groups, "merged");
    ExpectCounts(*restored, ref_ab, groups, "restored");
  }
}

TEST(CountDistinct, RestoreRejectsOtherValueTypes) {
  const AggregateSpec spec{AggregateFunction::kCountDistinct, "v", "n"};
  auto ints = MakeAccumulator(spec, arrow::int64()).ValueOrDie();
  ints->Resize(1);
  auto strings = arrow::json::ArrayFromJSONString(arrow::list(arrow::utf8()), R"([["a"]])").ValueOrDie();
  auto st = ints->LoadState(*strings);
  EXPECT_TRUE(st.IsInvalid()) << st.ToString();
  EXPECT_NE(st.message().find("int64"), std::string::npos) << st.ToString();
  EXPECT_TRUE(ints->LoadState(*arrow::json::ArrayFromJSONString(arrow::int64(), "[1]").ValueOrDie()).IsInvalid());
}

}  // namespace
}  // namespace sabot
