// Tests for GatherClamped: the values a plain loop gives, for 4- and 8-byte values, at
// every length around the vector widths (16 and 8), of every index or at selected
// positions, and with indices past the last entry or negative, which are clamped and
// reported as the largest index. DictionaryValuesAt: Arrow's take of the dictionary, for
// every kind of dictionary array, and an error for an index outside the dictionary.
#include <algorithm>
#include <random>
#include <vector>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include "sabot/ops/dictionary_gather.h"

namespace sabot {
namespace {

template <typename T>
void ExpectAsALoop(int64_t n, int64_t entries, bool out_of_range) {
  std::mt19937 rng(static_cast<uint32_t>(n * 31 + entries));
  std::vector<T> dictionary(static_cast<size_t>(entries));
  for (auto& v : dictionary) v = static_cast<T>(rng()) * 977 + 5;
  std::vector<int32_t> indices(static_cast<size_t>(n));
  for (auto& i : indices) i = static_cast<int32_t>(rng() % static_cast<uint32_t>(entries));
  if (out_of_range && n > 0) {
    indices[static_cast<size_t>(rng() % n)] = static_cast<int32_t>(entries + 3);
    indices[static_cast<size_t>(rng() % n)] = -2;
  }
  const auto last = static_cast<uint32_t>(entries - 1);
  std::vector<T> want(static_cast<size_t>(n)), got(static_cast<size_t>(n) + 1, T{42});
  uint32_t want_largest = 0;
  for (int64_t i = 0; i < n; ++i) {
    const auto index = static_cast<uint32_t>(indices[static_cast<size_t>(i)]);
    want_largest = std::max(want_largest, index);
    want[static_cast<size_t>(i)] = dictionary[std::min(index, last)];
  }
  const uint32_t largest =
      GatherClamped<static_cast<int>(sizeof(T))>(indices.data(), n, dictionary.data(), last, got.data());
  EXPECT_EQ(largest, want_largest) << n << " values, " << entries << " entries";
  EXPECT_EQ(LargestIndex(indices.data(), n), want_largest) << n << " values, " << entries << " entries";
  EXPECT_TRUE(std::equal(want.begin(), want.end(), got.begin())) << n << " values, " << entries << " entries";
  EXPECT_EQ(got[static_cast<size_t>(n)], T{42}) << "wrote past the end";

  // At selected positions (every third, and the last): only their indices count.
  std::vector<int32_t> at;
  for (int64_t i = 0; i < n; i += 3) at.push_back(static_cast<int32_t>(i));
  if (n > 0 && at.back() != n - 1) at.push_back(static_cast<int32_t>(n - 1));
  const auto m = static_cast<int64_t>(at.size());
  std::vector<T> want_at(static_cast<size_t>(m)), got_at(static_cast<size_t>(m) + 1, T{42});
  uint32_t want_largest_at = 0;
  for (int64_t i = 0; i < m; ++i) {
    const auto index = static_cast<uint32_t>(indices[static_cast<size_t>(at[static_cast<size_t>(i)])]);
    want_largest_at = std::max(want_largest_at, index);
    want_at[static_cast<size_t>(i)] = dictionary[std::min(index, last)];
  }
  const uint32_t largest_at = GatherClamped<static_cast<int>(sizeof(T))>(indices.data(), m, dictionary.data(), last,
                                                                         got_at.data(), at.data());
  EXPECT_EQ(largest_at, want_largest_at) << n << " values, " << entries << " entries, selected";
  EXPECT_TRUE(std::equal(want_at.begin(), want_at.end(), got_at.begin())) << n << " values, selected";
  EXPECT_EQ(got_at[static_cast<size_t>(m)], T{42}) << "wrote past the end, selected";
}

// LargestIndex is checked on the same indices (negative ones among them).
TEST(GatherClamped, SameAsALoopAtEveryLengthAndWidth) {
  // A third of the values selected: 16 of them from 46 on.
  for (int64_t n : {0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 47, 48, 49, 1000, 65536}) {
    for (int64_t entries : {1, 5, 2500, 100000}) {
      for (bool out_of_range : {false, true}) {
        ExpectAsALoop<uint32_t>(n, entries, out_of_range);
        ExpectAsALoop<uint64_t>(n, entries, out_of_range);
      }
    }
  }
}

std::shared_ptr<arrow::Array> FromJson(const std::shared_ptr<arrow::DataType>& type, const std::string& json) {
  return arrow::json::ArrayFromJSONString(type, json).ValueOrDie();
}

// What Arrow's take gives: the dictionary taken by the indices at `rows` (all without).
std::shared_ptr<arrow::Array> TakenByArrow(const arrow::DictionaryArray& column, const std::vector<int32_t>* rows) {
  std::shared_ptr<arrow::Array> indices = column.indices();
  if (rows != nullptr) {
    arrow::Int32Builder at;
    EXPECT_TRUE(at.AppendValues(*rows).ok());
    indices = *arrow::compute::Take(*indices, **at.Finish());
  }
  return *arrow::compute::Take(*column.dictionary(), *indices);
}

TEST(DictionaryValuesAt, WhatArrowsTakeGivesForEveryKindOfDictionary) {
  std::mt19937 rng(3);
  arrow::Int32Builder day_index, null_index;
  for (int i = 0; i < 3000; ++i) {
    ASSERT_TRUE(day_index.Append(static_cast<int32_t>(rng() % 40)).ok());
    ASSERT_TRUE((i % 7 == 0 ? null_index.AppendNull() : null_index.Append(static_cast<int32_t>(rng() % 40))).ok());
  }
  auto days = FromJson(arrow::date32(), "[" + [] {
    std::string list;
    for (int d = 0; d < 40; ++d) list += (d > 0 ? "," : "") + std::to_string(9000 + d * 3);
    return list;
  }() + "]");
  auto as_int64 = *arrow::compute::Cast(*days, arrow::date64());
  auto with_null = FromJson(arrow::date32(), "[1, null, 3]");
  const auto plain_index = *day_index.Finish(), nulls = *null_index.Finish();
  std::vector<int32_t> rows;
  for (int32_t i = 0; i < 3000; i += 1 + static_cast<int32_t>(rng() % 9)) rows.push_back(i);
  const std::shared_ptr<arrow::Array> cases[] = {
      *arrow::DictionaryArray::FromArrays(plain_index, days),      // the fast path, 4 bytes
      *arrow::DictionaryArray::FromArrays(plain_index, as_int64),  // and 8
      *arrow::DictionaryArray::FromArrays(nulls, days),            // null indices: Arrow's take
      *arrow::DictionaryArray::FromArrays(*arrow::compute::Cast(*plain_index, arrow::int16()), days),
  };
  for (const auto& array : cases) {
    const auto& column = static_cast<const arrow::DictionaryArray&>(*array);
    SCOPED_TRACE(column.type()->ToString() + (column.indices()->null_count() > 0 ? " with nulls" : ""));
    auto every = DictionaryValuesAt(column, nullptr, column.length());
    ASSERT_TRUE(every.ok()) << every.status().ToString();
    EXPECT_TRUE((*every)->Equals(*TakenByArrow(column, nullptr)));
    auto some = DictionaryValuesAt(column, rows.data(), static_cast<int64_t>(rows.size()));
    ASSERT_TRUE(some.ok()) << some.status().ToString();
    EXPECT_TRUE((*some)->Equals(*TakenByArrow(column, &rows)));
  }
  // A null among the dictionary's values stays null.
  auto small = FromJson(arrow::int32(), "[2, 1, 0, 1]");
  auto nulled = DictionaryValuesAt(static_cast<const arrow::DictionaryArray&>(
                                       **arrow::DictionaryArray::FromArrays(small, with_null)),
                                   nullptr, 4);
  ASSERT_TRUE(nulled.ok());
  EXPECT_TRUE((*nulled)->Equals(*FromJson(arrow::date32(), "[3, null, 1, null]")));
  // An index outside the dictionary is an error, not a value read past it.
  auto past = FromJson(arrow::int32(), "[0, 41]");
  auto bad = DictionaryValuesAt(
      static_cast<const arrow::DictionaryArray&>(*std::make_shared<arrow::DictionaryArray>(
          arrow::dictionary(arrow::int32(), arrow::date32()), past, days)),
      nullptr, 2);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("index 41 outside a dictionary of 40"), std::string::npos)
      << bad.status().ToString();
}

}  // namespace
}  // namespace sabot
