// IntKeyGrouper keeps Arrow's Grouper contract: dense ids, one null group, Lookup
// gives null for absent keys, GetUniques returns the keys in id order.
#include "sabot/ops/int_key_grouper.h"
#include "sabot/ops/tests/grouper_contract.h"

#include <map>
#include <random>

#include <arrow/api.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/compute/cast.h>
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

// Keys by value (nullopt: null) -> the id the grouper gave them.
using ExpectedIds = std::map<std::optional<int64_t>, uint32_t>;

// Consumes `keys` and checks every row's id against `expected`, which it extends with the
// keys seen first here: a key keeps its id, and new keys get the next dense id.
void ExpectConsumeIds(cp::Grouper& grouper, const std::shared_ptr<arrow::Array>& keys, ExpectedIds* expected) {
  auto ids = *Ids(grouper.Consume(cp::ExecSpan(cp::ExecBatch({keys}, keys->length()))));
  ASSERT_EQ(ids->null_count(), 0);
  auto as_int64 = std::static_pointer_cast<arrow::Int64Array>(*arrow::compute::Cast(*keys, arrow::int64()));
  for (int64_t i = 0; i < keys->length(); ++i) {
    std::optional<int64_t> key = as_int64->IsNull(i) ? std::nullopt : std::optional<int64_t>(as_int64->Value(i));
    auto [it, inserted] = expected->emplace(key, ids->Value(i));
    ASSERT_EQ(it->second, ids->Value(i)) << "key changed its id at row " << i;
    if (inserted) {
      ASSERT_EQ(ids->Value(i), expected->size() - 1) << "ids are dense, in first-seen order";
    }
  }
}

TEST(IntKeyGrouper, DenseIdsOneNullGroupAndUniquesInIdOrder) {
  auto grouper = *MakeIntKeyGrouper(arrow::int64());
  // Keys seen in several batches (100k distinct: the table grows many times).
  ExpectedIds expected;
  for (uint32_t round = 0; round < 4; ++round) {
    ASSERT_NO_FATAL_FAILURE(ExpectConsumeIds(*grouper, RandomKeys(60'000, 100'000, round), &expected));
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

// Keys in runs (sorted input, as lineitem by l_orderkey): a row repeating the previous
// row's key takes its id without a probe, and a null inside a run must not take it.
// Every key width, with the table growing; a batch boundary inside a run.
TEST(IntKeyGrouper, KeysInRunsOfEveryWidth) {
  for (const auto& type : {arrow::int8(), arrow::int16(), arrow::int32(), arrow::int64()}) {
    SCOPED_TRACE(type->ToString());
    // Keys spread over most of the type's range, negatives included.
    const bool narrow = type->byte_width() == 1;
    const int64_t distinct = narrow ? 120 : 20'000;
    std::mt19937_64 rng(11);
    arrow::Int64Builder builder;
    for (int64_t key = 0; key < distinct; ++key) {
      for (uint64_t run = rng() % 7; run > 0; --run) {
        ASSERT_TRUE((rng() % 10 == 0 ? builder.AppendNull() : builder.Append(narrow ? key * 2 - 120 : key * 3 - 30'000)).ok());
      }
    }
    auto keys = *arrow::compute::Cast(**builder.Finish(), type);
    auto grouper = *MakeIntKeyGrouper(type);
    ExpectedIds expected;
    // Two halves in two batches: the second starts mid-run of the first's last key.
    const int64_t half = keys->length() / 2;
    ASSERT_NO_FATAL_FAILURE(ExpectConsumeIds(*grouper, keys->Slice(0, half), &expected));
    ASSERT_NO_FATAL_FAILURE(ExpectConsumeIds(*grouper, keys->Slice(half), &expected));
    EXPECT_EQ(grouper->num_groups(), expected.size());
  }
}

// Reset forgets every key: ids start at 0 again and earlier keys are absent.
TEST(IntKeyGrouper, ResetForgetsTheKeys) {
  auto grouper = *MakeIntKeyGrouper(arrow::int64());
  ExpectedIds before;
  ASSERT_NO_FATAL_FAILURE(ExpectConsumeIds(*grouper, RandomKeys(50'000, 30'000, 1), &before));
  ASSERT_TRUE(grouper->Reset().ok());
  EXPECT_EQ(grouper->num_groups(), 0u);
  arrow::Int64Builder fresh;
  ASSERT_TRUE(fresh.AppendValues({-5, 77, -5, 4}).ok());
  ExpectedIds after;
  ASSERT_NO_FATAL_FAILURE(ExpectConsumeIds(*grouper, *fresh.Finish(), &after));
  EXPECT_EQ(grouper->num_groups(), 3u);
  auto earlier = RandomKeys(1'000, 30'000, 1);
  auto ids = *Ids(grouper->Lookup(cp::ExecSpan(cp::ExecBatch({earlier}, earlier->length()))));
  // Only a null row finds a group (none: no null was consumed since the reset).
  EXPECT_EQ(ids->null_count(), earlier->length());
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
