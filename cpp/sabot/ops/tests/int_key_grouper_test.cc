// IntKeyGrouper keeps Arrow's Grouper contract: dense ids, one null group, Lookup
// gives null for absent keys, GetUniques returns the keys in id order.
#include "sabot/ops/int_key_grouper.h"
#include "sabot/ops/tests/grouper_contract.h"

#include <map>
#include <random>

#include <arrow/api.h>
#include <arrow/compute/exec.h>
#include <gtest/gtest.h>

namespace sabot {
namespace {

namespace cp = arrow::compute;

std::shared_ptr<arrow::Array> RandomKeys(int64_t n, int64_t distinct, uint32_t seed) {
  std::mt19937_64 rng(seed);
  arrow::Int64Builder b;
  for (int64_t i = 0; i < n; ++i) {
    if (rng() % 20 == 0) {
      EXPECT_TRUE(b.AppendNull().ok());
    } else {
      EXPECT_TRUE(b.Append(static_cast<int64_t>(rng() % distinct) * 7919 - 1'000'000).ok());
    }
  }
  return *b.Finish();
}

Result<std::shared_ptr<arrow::UInt32Array>> Ids(Result<arrow::Datum> datum) {
  ARROW_ASSIGN_OR_RAISE(auto d, std::move(datum));
  return std::static_pointer_cast<arrow::UInt32Array>(d.make_array());
}

TEST(IntKeyGrouper, DenseIdsOneNullGroupAndUniquesInIdOrder) {
  auto grouper = *MakeIntKeyGrouper(arrow::int64());
  // Keys seen in several batches (100k distinct: the table grows many times).
  std::map<std::optional<int64_t>, uint32_t> expected;
  for (uint32_t round = 0; round < 4; ++round) {
    auto keys = RandomKeys(60'000, 100'000, round);
    auto ids = *Ids(grouper->Consume(cp::ExecSpan(cp::ExecBatch({keys}, keys->length()))));
    ASSERT_EQ(ids->null_count(), 0);
    auto typed = std::static_pointer_cast<arrow::Int64Array>(keys);
    for (int64_t i = 0; i < keys->length(); ++i) {
      std::optional<int64_t> key = typed->IsNull(i) ? std::nullopt : std::optional<int64_t>(typed->Value(i));
      auto [it, inserted] = expected.emplace(key, ids->Value(i));
      ASSERT_EQ(it->second, ids->Value(i)) << "key changed its id";
      if (inserted) ASSERT_EQ(ids->Value(i), expected.size() - 1) << "ids are dense, in first-seen order";
    }
  }
  ASSERT_EQ(grouper->num_groups(), expected.size());
  auto uniques = *grouper->GetUniques();
  auto keys = std::static_pointer_cast<arrow::Int64Array>(uniques.values[0].make_array());
  ASSERT_EQ(keys->length(), static_cast<int64_t>(expected.size()));
  EXPECT_EQ(keys->null_count(), 1);
  for (const auto& [key, id] : expected) {
    if (key) {
      EXPECT_EQ(keys->Value(id), *key);
    } else {
      EXPECT_TRUE(keys->IsNull(id));
    }
  }
}

TEST(IntKeyGrouper, LookupGivesNullForAbsentKeys) {
  auto grouper = *MakeIntKeyGrouper(arrow::int32());
  arrow::Int32Builder seen, probe;
  ASSERT_TRUE(seen.AppendValues({5, 9, 5}).ok());
  ASSERT_TRUE(probe.AppendValues({9, 7, 5}).ok());
  ASSERT_TRUE(probe.AppendNull().ok());
  testing::ExpectLookupGivesNullForAbsentKeys(*grouper, *seen.Finish(), *probe.Finish());
}

TEST(IntKeyGrouper, KeepsTheKeyType) {
  for (const auto& type : {arrow::date32(), arrow::timestamp(arrow::TimeUnit::MILLI, "UTC"), arrow::int8()}) {
    EXPECT_TRUE(IsIntKeyGroupable(*type));
    auto grouper = *MakeIntKeyGrouper(type);
    auto keys = *arrow::MakeArrayFromScalar(**arrow::MakeScalar(type, 3), 5);
    ASSERT_TRUE(grouper->Consume(cp::ExecSpan(cp::ExecBatch({keys}, 5))).ok());
    auto uniques = *grouper->GetUniques();
    EXPECT_TRUE(uniques.values[0].type()->Equals(*type)) << type->ToString();
    EXPECT_EQ(uniques.length, 1);
  }
  EXPECT_FALSE(IsIntKeyGroupable(*arrow::utf8()));
  EXPECT_FALSE(IsIntKeyGroupable(*arrow::float64()));
  EXPECT_FALSE(MakeIntKeyGrouper(arrow::utf8()).ok());
}

}  // namespace
}  // namespace sabot
