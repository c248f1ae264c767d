// DictKeyGrouper keeps Arrow's Grouper contract over dictionaries that differ from batch
// to batch, null keys and null dictionary entries, several keys, and a domain that grows
// past the direct array mid-stream; it groups as Arrow's Grouper does on decoded keys.
#include "sabot/ops/dict_key_grouper.h"
#include "sabot/ops/tests/grouper_contract.h"

#include <map>
#include <optional>
#include <random>

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/exec.h>
#include <gtest/gtest.h>

namespace sabot {
namespace {

namespace cp = arrow::compute;

using Key = std::vector<std::optional<std::string>>;  // a row's keys, as text

std::shared_ptr<arrow::Array> Strings(const std::vector<std::optional<std::string>>& values) {
  arrow::StringBuilder b;
  for (const auto& v : values) EXPECT_TRUE((v ? b.Append(*v) : b.AppendNull()).ok());
  return *b.Finish();
}

// A dictionary<int32, utf8> column: `indices` (-1 = null row) into `dictionary`.
std::shared_ptr<arrow::Array> Dict(const std::vector<std::optional<std::string>>& dictionary,
                                   const std::vector<int>& indices) {
  arrow::Int32Builder b;
  for (int i : indices) EXPECT_TRUE((i < 0 ? b.AppendNull() : b.Append(i)).ok());
  return *arrow::DictionaryArray::FromArrays(arrow::dictionary(arrow::int32(), arrow::utf8()), *b.Finish(),
                                             Strings(dictionary));
}

std::shared_ptr<arrow::UInt32Array> Ids(Result<arrow::Datum> datum) {
  EXPECT_TRUE(datum.ok()) << datum.status().ToString();
  return std::static_pointer_cast<arrow::UInt32Array>(datum->make_array());
}

// Row i of `column` as text (decoded, null dictionary entries are null).
std::optional<std::string> TextAt(const arrow::Array& column, int64_t i) {
  if (column.IsNull(i)) return std::nullopt;
  if (column.type_id() == arrow::Type::DICTIONARY) {
    const auto& dict = static_cast<const arrow::DictionaryArray&>(column);
    const int64_t index = dict.GetValueIndex(i);
    if (dict.dictionary()->IsNull(index)) return std::nullopt;
    return (*dict.dictionary()->GetScalar(index))->ToString();
  }
  return (*column.GetScalar(i))->ToString();
}

Key KeyAt(const std::vector<std::shared_ptr<arrow::Array>>& columns, int64_t i) {
  Key key;
  for (const auto& c : columns) key.push_back(TextAt(*c, i));
  return key;
}

// Consumes `batches` and checks ids are dense, first-seen, stable for equal keys; then
// that GetUniques gives each id its key. Returns the keys by id.
void ConsumeAndCheck(cp::Grouper& grouper, const std::vector<std::vector<std::shared_ptr<arrow::Array>>>& batches,
                     std::map<Key, uint32_t>* expected) {
  for (const auto& columns : batches) {
    std::vector<arrow::Datum> values(columns.begin(), columns.end());
    const int64_t rows = columns[0]->length();
    auto ids = Ids(grouper.Consume(cp::ExecSpan(cp::ExecBatch(values, rows))));
    ASSERT_EQ(ids->length(), rows);
    ASSERT_EQ(ids->null_count(), 0);
    for (int64_t i = 0; i < rows; ++i) {
      auto [it, inserted] = expected->emplace(KeyAt(columns, i), ids->Value(i));
      ASSERT_EQ(it->second, ids->Value(i)) << "a key changed its id at row " << i;
      if (inserted) {
        ASSERT_EQ(ids->Value(i), expected->size() - 1) << "ids are dense, in first-seen order";
      }
    }
  }
  ASSERT_EQ(grouper.num_groups(), expected->size());
  auto uniques = grouper.GetUniques();
  ASSERT_TRUE(uniques.ok()) << uniques.status().ToString();
  ASSERT_EQ(uniques->length, static_cast<int64_t>(expected->size()));
  std::vector<std::shared_ptr<arrow::Array>> unique_columns;
  for (const auto& v : uniques->values) unique_columns.push_back(v.make_array());
  for (const auto& [key, id] : *expected) EXPECT_EQ(KeyAt(unique_columns, id), key) << "group " << id;
}

TEST(DictKeyGrouper, DifferentDictionariesPerBatchNullRowsAndNullEntries) {
  auto type = arrow::dictionary(arrow::int32(), arrow::utf8());
  for (bool decode : {false, true}) {
    auto grouper = *MakeDictKeyGrouper({type}, decode);
    std::map<Key, uint32_t> expected;
    ConsumeAndCheck(*grouper,
                    {{Dict({"A", "N", "R"}, {0, 1, 2, 1, -1})},
                     // Same values, another order; a null entry (the same group as a null row).
                     {Dict({"R", std::nullopt, "A", "X"}, {0, 1, 2, 3, 3})},
                     {Dict({"N"}, {0, 0})}},
                    &expected);
    EXPECT_EQ(expected.size(), 5u);  // A, N, R, null, X
    auto uniques = *grouper->GetUniques();
    EXPECT_TRUE(uniques.values[0].type()->Equals(decode ? *arrow::utf8() : *type));
  }
}

TEST(DictKeyGrouper, SeveralKeysOfEachKind) {
  auto strings8 = arrow::dictionary(arrow::int8(), arrow::utf8());
  auto dict = [&](const std::vector<std::optional<std::string>>& dictionary,
                  const std::vector<int>& indices) -> std::shared_ptr<arrow::Array> {
    return (*cp::Cast(Dict(dictionary, indices), strings8)).make_array();
  };
  auto grouper = *MakeDictKeyGrouper({strings8, arrow::boolean(), arrow::int16(), arrow::uint8()}, true);
  auto bools = [](std::vector<std::optional<bool>> v) -> std::shared_ptr<arrow::Array> {
    arrow::BooleanBuilder b;
    for (auto x : v) EXPECT_TRUE((x ? b.Append(*x) : b.AppendNull()).ok());
    return *b.Finish();
  };
  auto int16s = [](std::vector<std::optional<int16_t>> v) -> std::shared_ptr<arrow::Array> {
    arrow::Int16Builder b;
    for (auto x : v) EXPECT_TRUE((x ? b.Append(*x) : b.AppendNull()).ok());
    return *b.Finish();
  };
  auto uint8s = [](std::vector<uint8_t> v) -> std::shared_ptr<arrow::Array> {
    arrow::UInt8Builder b;
    EXPECT_TRUE(b.AppendValues(v).ok());
    return *b.Finish();
  };
  std::map<Key, uint32_t> expected;
  ConsumeAndCheck(*grouper,
                  std::vector<std::vector<std::shared_ptr<arrow::Array>>>{{dict({"a", "b"}, {0, 1, 0, -1}), bools({true, false, true, std::nullopt}),
                    int16s({-5, 300, -5, std::nullopt}), uint8s({0, 255, 0, 7})},
                   {dict({"b", "a"}, {1, 0, 1}), bools({true, false, false}),
                    int16s({-5, 300, -32768}), uint8s({0, 255, 0})}},
                  &expected);
  EXPECT_EQ(expected.size(), 4u);
}

// Two keys of 400 values each need 18 bits, past the direct array: the switch to the
// hash table happens mid-stream, after groups were handed out, and keeps their ids.
TEST(DictKeyGrouper, DomainGrowingPastTheDirectArrayKeepsIds) {
  auto type = arrow::dictionary(arrow::int32(), arrow::utf8());
  auto grouper = *MakeDictKeyGrouper({type, type}, true);
  std::mt19937 rng(7);
  std::vector<std::vector<std::shared_ptr<arrow::Array>>> batches;
  for (int round = 0; round < 8; ++round) {
    // Each batch has its own dictionaries, covering more values each round.
    const int values = 10 + round * 60;
    std::vector<std::optional<std::string>> first, second;
    for (int v = 0; v < values; ++v) {
      first.push_back("k" + std::to_string((v * 7 + round) % values));
      second.push_back(v == 3 ? std::nullopt : std::optional<std::string>("v" + std::to_string(v)));
    }
    std::vector<int> a, b;
    for (int i = 0; i < 2000; ++i) {
      a.push_back(rng() % 50 == 0 ? -1 : static_cast<int>(rng() % values));
      b.push_back(static_cast<int>(rng() % values));
    }
    batches.push_back({Dict(first, a), Dict(second, b)});
  }
  std::map<Key, uint32_t> expected;
  ConsumeAndCheck(*grouper, batches, &expected);
  EXPECT_GT(expected.size(), 10'000u);
}

TEST(DictKeyGrouper, LookupGivesNullForAbsentKeys) {
  auto type = arrow::dictionary(arrow::int32(), arrow::utf8());
  auto grouper = *MakeDictKeyGrouper({type}, false);
  testing::ExpectLookupGivesNullForAbsentKeys(*grouper, Dict({"x", "y"}, {0, 1, 0}),
                                              Dict({"y", "z", "x"}, {0, 1, 2, -1}));
}

// How merging states feeds keys back: the uniques of one grouper, consumed by another
// (decoded ones as plain values), find the groups of equal keys.
TEST(DictKeyGrouper, ConsumesItsOwnUniques) {
  auto type = arrow::dictionary(arrow::int16(), arrow::utf8());
  for (bool decode : {false, true}) {
    auto one = *MakeDictKeyGrouper({type}, decode);
    auto other = *MakeDictKeyGrouper({type}, decode);
    arrow::Datum a = *cp::Cast(Dict({"p", "q", std::nullopt}, {0, 1, 2}), type);
    arrow::Datum b = *cp::Cast(Dict({"r", "q"}, {0, 1, -1}), type);
    ASSERT_TRUE(one->Consume(cp::ExecSpan(cp::ExecBatch({a}, 3))).ok());
    ASSERT_TRUE(other->Consume(cp::ExecSpan(cp::ExecBatch({b}, 3))).ok());
    auto uniques = *other->GetUniques();
    auto ids = Ids(one->Consume(cp::ExecSpan(uniques)));
    EXPECT_EQ(ids->Value(0), 3u);  // r is new
    EXPECT_EQ(ids->Value(1), 1u);  // q
    EXPECT_EQ(ids->Value(2), 2u);  // null
    EXPECT_EQ(one->num_groups(), 4u);
  }
}

TEST(DictKeyGrouper, SlicedInputAndOffsets) {
  auto type = arrow::dictionary(arrow::int32(), arrow::utf8());
  auto grouper = *MakeDictKeyGrouper({type}, true);
  auto column = Dict({"a", "b", "c"}, {0, 1, -1, 2, 2, 1})->Slice(2, 4);  // null, c, c, b
  auto ids = Ids(grouper->Consume(cp::ExecSpan(cp::ExecBatch({column}, 4)), 1, 2));  // c, c
  ASSERT_EQ(ids->length(), 2);
  EXPECT_EQ(ids->Value(0), 0u);
  EXPECT_EQ(ids->Value(1), 0u);
  EXPECT_EQ(grouper->num_groups(), 1u) << "the null outside the range makes no group";
}

TEST(DictKeyGrouper, IndexOutOfRangeIsAnError) {
  auto type = arrow::dictionary(arrow::int32(), arrow::utf8());
  auto grouper = *MakeDictKeyGrouper({type}, true);
  arrow::Int32Builder b;
  ASSERT_TRUE(b.AppendValues({0, 5}).ok());
  auto bad = std::make_shared<arrow::DictionaryArray>(type, *b.Finish(), Strings({"a"}));
  EXPECT_FALSE(grouper->Consume(cp::ExecSpan(cp::ExecBatch({bad}, 2))).ok());
}

TEST(DictKeyGrouper, GroupsAsArrowsGrouperOnDecodedKeys) {
  auto type = arrow::dictionary(arrow::int32(), arrow::utf8());
  std::mt19937 rng(11);
  for (int trial = 0; trial < 20; ++trial) {
    const int keys = 1 + trial % 3;
    // Every fourth trial adds a boolean and a 16-bit key (as they are on both sides).
    const bool small_integers = trial % 4 == 3;
    std::vector<std::shared_ptr<arrow::DataType>> types(keys, type);
    std::vector<arrow::TypeHolder> plain_types(keys, arrow::utf8());
    if (small_integers) {
      for (const auto& small : {arrow::boolean(), arrow::int16()}) {
        types.push_back(small);
        plain_types.emplace_back(small);
      }
    }
    auto ours = *MakeDictKeyGrouper(types, true);
    auto arrows = *cp::Grouper::Make(plain_types);
    std::map<uint32_t, uint32_t> ours_to_arrows;
    for (int batch = 0; batch < 5; ++batch) {
      std::vector<arrow::Datum> encoded, decoded;
      const int rows = 1 + static_cast<int>(rng() % 3000);
      for (int k = 0; k < keys; ++k) {
        const int values = 1 + static_cast<int>(rng() % (trial < 10 ? 6 : 400));
        std::vector<std::optional<std::string>> dictionary;
        for (int v = 0; v < values; ++v) {
          dictionary.push_back(rng() % 15 == 0 ? std::nullopt
                                               : std::optional<std::string>(std::to_string(rng() % (values + 3))));
        }
        std::vector<int> indices;
        for (int i = 0; i < rows; ++i) indices.push_back(rng() % 25 == 0 ? -1 : static_cast<int>(rng() % values));
        auto column = Dict(dictionary, indices);
        encoded.emplace_back(column);
        decoded.push_back(*cp::Cast(column, arrow::utf8()));
      }
      if (small_integers) {
        arrow::BooleanBuilder flags;
        arrow::Int16Builder numbers;
        for (int i = 0; i < rows; ++i) {
          ASSERT_TRUE((rng() % 20 == 0 ? flags.AppendNull() : flags.Append(rng() % 2 == 0)).ok());
          ASSERT_TRUE((rng() % 20 == 0 ? numbers.AppendNull()
                                       : numbers.Append(static_cast<int16_t>(rng() % 7) - 3)).ok());
        }
        for (const auto& column : {*flags.Finish(), *numbers.Finish()}) {
          encoded.emplace_back(column);
          decoded.emplace_back(column);
        }
      }
      auto our_ids = Ids(ours->Consume(cp::ExecSpan(cp::ExecBatch(encoded, rows))));
      auto arrow_ids = Ids(arrows->Consume(cp::ExecSpan(cp::ExecBatch(decoded, rows))));
      for (int i = 0; i < rows; ++i) {
        auto [it, inserted] = ours_to_arrows.emplace(our_ids->Value(i), arrow_ids->Value(i));
        ASSERT_EQ(it->second, arrow_ids->Value(i)) << "trial " << trial << " row " << i;
      }
    }
    ASSERT_EQ(ours->num_groups(), arrows->num_groups());
    ASSERT_EQ(ours_to_arrows.size(), ours->num_groups());
    auto our_uniques = *ours->GetUniques();
    auto arrow_uniques = *arrows->GetUniques();
    for (size_t k = 0; k < types.size(); ++k) {
      auto mine = our_uniques.values[k].make_array();
      auto theirs = arrow_uniques.values[k].make_array();
      ASSERT_TRUE(mine->type()->Equals(*theirs->type()));
      for (const auto& [ours_id, arrows_id] : ours_to_arrows) {
        ASSERT_EQ(TextAt(*mine, ours_id), TextAt(*theirs, arrows_id));
      }
    }
  }
}

TEST(DictKeyGrouper, ResetForgetsEverything) {
  auto type = arrow::dictionary(arrow::int32(), arrow::utf8());
  auto grouper = *MakeDictKeyGrouper({type, arrow::boolean()}, true);
  arrow::BooleanBuilder b;
  ASSERT_TRUE(b.AppendValues(std::vector<bool>{true, false}).ok());
  auto flags = *b.Finish();
  auto keys = Dict({"a", "b"}, {1, 0});
  ASSERT_TRUE(grouper->Consume(cp::ExecSpan(cp::ExecBatch({keys, flags}, 2))).ok());
  ASSERT_TRUE(grouper->Reset().ok());
  EXPECT_EQ(grouper->num_groups(), 0u);
  std::map<Key, uint32_t> expected;
  ConsumeAndCheck(*grouper, {{Dict({"b"}, {0, 0}), flags}}, &expected);
  EXPECT_EQ(expected.size(), 2u);
}

TEST(DictKeyGrouper, TakesSmallDomainsOnly) {
  EXPECT_TRUE(IsDictKeyGroupable({arrow::dictionary(arrow::int32(), arrow::utf8()), arrow::boolean()}));
  EXPECT_TRUE(IsDictKeyGroupable({arrow::dictionary(arrow::int8(), arrow::int64()), arrow::uint16()}));
  EXPECT_FALSE(IsDictKeyGroupable({arrow::dictionary(arrow::int32(), arrow::utf8()), arrow::int64()}));
  EXPECT_FALSE(IsDictKeyGroupable({arrow::utf8()}));
  EXPECT_FALSE(IsDictKeyGroupable({}));
}

}  // namespace
}  // namespace sabot
