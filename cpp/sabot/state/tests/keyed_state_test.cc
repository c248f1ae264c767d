// Key groups and the keyed state store: stable, width-independent key hashing; values
// and timers per key group.
#include <gtest/gtest.h>

#include <cmath>
#include <type_traits>

#include <arrow/api.h>
#include <arrow/compute/cast.h>

#include "sabot/state/key_group.h"
#include "sabot/state/keyed_state.h"

namespace sabot {
namespace {

std::shared_ptr<arrow::RecordBatch> OneColumn(std::shared_ptr<arrow::Array> column) {
  return arrow::RecordBatch::Make(arrow::schema({arrow::field("k", column->type())}), column->length(), {column});
}

std::vector<std::string> Encode(const std::shared_ptr<arrow::Array>& column) {
  std::vector<std::string> keys;
  EXPECT_TRUE(EncodeKeys(*OneColumn(column), {0}, &keys).ok());
  return keys;
}

TEST(KeyGroup, EqualKeysEncodeAlikeWhateverTheirWidth) {
  arrow::Int32Builder narrow;
  arrow::Int64Builder wide;
  ASSERT_TRUE(narrow.AppendValues({1, -7, 0}).ok());
  ASSERT_TRUE(narrow.AppendNull().ok());
  ASSERT_TRUE(wide.AppendValues({1, -7, 0}).ok());
  ASSERT_TRUE(wide.AppendNull().ok());
  EXPECT_EQ(Encode(narrow.Finish().ValueOrDie()), Encode(wide.Finish().ValueOrDie()));
  arrow::DoubleBuilder doubles;
  ASSERT_TRUE(doubles.AppendValues({0.0, -0.0}).ok());
  const auto floats = Encode(doubles.Finish().ValueOrDie());
  EXPECT_EQ(floats[0], floats[1]);
}

TEST(KeyGroup, HashIsFixedAcrossRunsAndMachines) {
  // The key groups of a job's state must not move between runs: these values are the
  // definition of the hash, not a measurement.
  EXPECT_EQ(StableKeyHash(""), 0xefd01f60ba992926ULL);
  arrow::Int64Builder ints;
  ASSERT_TRUE(ints.Append(42).ok());
  const auto answer = Encode(ints.Finish().ValueOrDie());
  EXPECT_EQ(StableKeyHash(answer[0]), 0x0640467e21fb54bbULL);
  EXPECT_EQ(KeyGroupOf(answer[0], 128), 59);
  arrow::StringBuilder strings;
  ASSERT_TRUE(strings.AppendValues({"alice", "bob"}).ok());
  const auto keys = Encode(strings.Finish().ValueOrDie());
  EXPECT_NE(keys[0], keys[1]);
  const uint64_t alice = StableKeyHash(keys[0]);
  EXPECT_EQ(alice, StableKeyHash(std::string(keys[0])));
  EXPECT_EQ(KeyGroupOf(keys[0], 128), static_cast<int>(alice % 128));
}

TEST(KeyGroup, UnsupportedKeyTypeNamesTheColumn) {
  arrow::ListBuilder lists(arrow::default_memory_pool(), std::make_shared<arrow::Int64Builder>());
  ASSERT_TRUE(lists.Append().ok());
  ASSERT_TRUE(static_cast<arrow::Int64Builder*>(lists.value_builder())->Append(5).ok());
  std::vector<std::string> keys;
  Status st = EncodeKeys(*OneColumn(lists.Finish().ValueOrDie()), {0}, &keys);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("'k'"), std::string::npos) << st;
}

// The per-row path (EncodeKeys + StableKeyHash, what keyed state uses) and the column path
// (HashKeys, what the exchange uses) must agree row for row, or a key's rows would reach
// an owner that does not hold its state.
void ExpectPathsAgree(const std::shared_ptr<arrow::RecordBatch>& batch, const std::vector<int>& key_columns) {
  std::vector<std::string> encoded;
  ASSERT_TRUE(EncodeKeys(*batch, key_columns, &encoded).ok());
  std::vector<uint64_t> hashes;
  ASSERT_TRUE(HashKeys(*batch, key_columns, &hashes).ok());
  std::vector<uint16_t> groups;
  ASSERT_TRUE(KeyGroupsOf(*batch, key_columns, 128, &groups).ok());
  ASSERT_EQ(hashes.size(), encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    EXPECT_EQ(hashes[i], StableKeyHash(encoded[i])) << "row " << i;
    EXPECT_EQ(groups[i], KeyGroupOf(encoded[i], 128)) << "row " << i;
  }
}

template <typename Builder, typename T>
std::shared_ptr<arrow::Array> WithNull(std::vector<T> values, std::shared_ptr<arrow::DataType> type = nullptr) {
  std::unique_ptr<arrow::ArrayBuilder> any;
  if constexpr (std::is_default_constructible_v<Builder>) {
    any = std::make_unique<Builder>();
  } else {
    EXPECT_TRUE(arrow::MakeBuilder(arrow::default_memory_pool(), type, &any).ok());
  }
  auto& builder = static_cast<Builder&>(*any);
  for (const auto& v : values) EXPECT_TRUE(builder.Append(v).ok());
  EXPECT_TRUE(builder.AppendNull().ok());
  return builder.Finish().ValueOrDie();
}

TEST(KeyGroup, ColumnHashEqualsPerRowHashForEveryKeyType) {
  const std::vector<std::shared_ptr<arrow::Array>> columns = {
      WithNull<arrow::Int8Builder, int8_t>({1, -7, 127}),
      WithNull<arrow::Int16Builder, int16_t>({1, -7, 300}),
      WithNull<arrow::Int32Builder, int32_t>({1, -7, 70000}),
      WithNull<arrow::Int64Builder, int64_t>({1, -7, int64_t{1} << 40}),
      WithNull<arrow::UInt8Builder, uint8_t>({1, 7, 255}),
      WithNull<arrow::UInt16Builder, uint16_t>({1, 7, 65535}),
      WithNull<arrow::UInt32Builder, uint32_t>({1, 7, 4000000000u}),
      WithNull<arrow::UInt64Builder, uint64_t>({1, 7, ~uint64_t{0}}),
      WithNull<arrow::FloatBuilder, float>({0.0f, -0.0f, std::nanf("")}),
      WithNull<arrow::DoubleBuilder, double>({0.0, -0.0, -std::nan("1")}),
      WithNull<arrow::BooleanBuilder, bool>({true, false, true}),
      WithNull<arrow::StringBuilder, std::string>({"alice", "", "bob"}),
      WithNull<arrow::LargeStringBuilder, std::string>({"alice", "", "bob"}),
      WithNull<arrow::BinaryBuilder, std::string>({"a", std::string("\0b", 2), "c"}),
      WithNull<arrow::TimestampBuilder, int64_t>({1, -7, 99}, arrow::timestamp(arrow::TimeUnit::MICRO)),
      WithNull<arrow::Date32Builder, int32_t>({1, -7, 99}),
  };
  arrow::FieldVector fields;
  for (size_t c = 0; c < columns.size(); ++c) {
    auto batch = OneColumn(columns[c]);
    SCOPED_TRACE(columns[c]->type()->ToString());
    ExpectPathsAgree(batch, {0});
    fields.push_back(arrow::field("k" + std::to_string(c), columns[c]->type()));
  }
  // Multi-column keys, and a slice (an offset into every buffer).
  auto all = arrow::RecordBatch::Make(arrow::schema(fields), columns[0]->length(), columns);
  ExpectPathsAgree(all, {3, 11, 9});
  ExpectPathsAgree(all, {11, 0});
  ExpectPathsAgree(all->Slice(1, 2), {5, 12, 8});
  // Equal keys of different widths and -0.0/0.0, NaN/NaN land in the same group.
  std::vector<uint64_t> narrow, wide, floats, doubles;
  ASSERT_TRUE(HashKeys(*OneColumn(columns[0]), {0}, &narrow).ok());
  ASSERT_TRUE(HashKeys(*OneColumn(columns[3]), {0}, &wide).ok());
  EXPECT_EQ(narrow[0], wide[0]);
  EXPECT_EQ(narrow[1], wide[1]);
  EXPECT_EQ(narrow[3], wide[3]);  // nulls
  ASSERT_TRUE(HashKeys(*OneColumn(columns[8]), {0}, &floats).ok());
  ASSERT_TRUE(HashKeys(*OneColumn(columns[9]), {0}, &doubles).ok());
  EXPECT_EQ(floats[0], floats[1]);
  EXPECT_EQ(floats[2], doubles[2]);
  EXPECT_EQ(floats[0], doubles[1]);
}

// `values` ("" for null) parsed at the scale of `type`, then cast to it.
std::shared_ptr<arrow::Array> Decimals(const std::shared_ptr<arrow::DataType>& type, const std::vector<std::string>& values) {
  const auto& decimal = static_cast<const arrow::DecimalType&>(*type);
  const auto parsed_type = arrow::decimal128(38, decimal.scale());
  arrow::Decimal128Builder builder(parsed_type);
  for (const auto& v : values) {
    if (v.empty()) {
      EXPECT_TRUE(builder.AppendNull().ok());
    } else {
      // The unscaled digits; every value is written with the type's scale.
      EXPECT_TRUE(builder.Append(arrow::Decimal128::FromString(v).ValueOrDie()).ok());
    }
  }
  return arrow::compute::Cast(*builder.Finish().ValueOrDie(), type).ValueOrDie();
}

TEST(KeyGroup, DecimalKeysEncodeTheirValueWhateverTheirWidth) {
  const std::vector<std::string> values = {"1.50", "-7.25", "", "0.00"};
  const auto d64 = Decimals(arrow::decimal64(10, 2), values);
  const auto d128 = Decimals(arrow::decimal128(30, 2), values);
  const auto d256 = Decimals(arrow::decimal256(60, 2), values);
  for (const auto& column : {d64, d128, d256}) {
    SCOPED_TRACE(column->type()->ToString());
    EXPECT_TRUE(IsStableKeyType(*column->type()));
    ExpectPathsAgree(OneColumn(column), {0});
    EXPECT_EQ(Encode(column), Encode(d128));
  }
  const auto keys = Encode(d128);
  EXPECT_NE(keys[0], keys[1]);
  EXPECT_NE(keys[2], keys[3]);  // null is not zero
  // Another scale is another key type: 1.500 is not 1.50's key.
  EXPECT_NE(Encode(Decimals(arrow::decimal128(30, 3), {"1.500"}))[0], keys[0]);
}

TEST(KeyGroup, DictionaryKeysEncodeAsTheirValues) {
  arrow::StringDictionaryBuilder dictionary;
  for (const char* v : {"b", "a", "b"}) ASSERT_TRUE(dictionary.Append(v).ok());
  ASSERT_TRUE(dictionary.AppendNull().ok());
  auto encoded = dictionary.Finish().ValueOrDie();
  EXPECT_TRUE(IsStableKeyType(*encoded->type()));
  EXPECT_FALSE(IsStableKeyType(*arrow::dictionary(arrow::int32(), arrow::list(arrow::int64()))));
  EXPECT_EQ(Encode(encoded), Encode(WithNull<arrow::StringBuilder, std::string>({"b", "a", "b"})));
  auto batch = arrow::RecordBatch::Make(
      arrow::schema({arrow::field("k", encoded->type()), arrow::field("d", arrow::decimal128(30, 2))}), 4,
      {encoded, Decimals(arrow::decimal128(30, 2), {"1.50", "", "1.50", "2.00"})});
  ExpectPathsAgree(batch, {0, 1});
  ExpectPathsAgree(batch->Slice(1, 3), {1, 0});
}

TEST(KeyGroup, ColumnHashNamesAnUnsupportedColumn) {
  arrow::ListBuilder lists(arrow::default_memory_pool(), std::make_shared<arrow::Int64Builder>());
  ASSERT_TRUE(lists.Append().ok());
  std::vector<uint64_t> hashes;
  Status st = HashKeys(*OneColumn(lists.Finish().ValueOrDie()), {0}, &hashes);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("'k'"), std::string::npos) << st;
  EXPECT_FALSE(IsStableKeyType(*arrow::list(arrow::int64())));
  EXPECT_TRUE(IsStableKeyType(*arrow::utf8()));
}

TEST(KeyGroup, OwnersHoldContiguousRangesCoveringAllGroups) {
  for (int owners : {1, 2, 3, 7, 8, 128, 200}) {
    int next = 0;
    for (int o = 0; o < owners; ++o) {
      const KeyGroupRange range = KeyGroupRangeOf(o, owners);
      EXPECT_EQ(range.begin, next) << owners << " owners, owner " << o;
      for (int g = range.begin; g < range.end; ++g) EXPECT_EQ(KeyGroupOwner(g, owners), o);
      next = range.end;
    }
    EXPECT_EQ(next, kDefaultKeyGroups) << owners << " owners";
  }
}

TEST(KeyedStateStore, ValuesAndTimersPerKeyGroup) {
  KeyedStateStore store(8, KeyGroupRange{2, 6});
  store.Put(3, "a", "count", int64_t{4});
  store.Put(5, "b", "count", int64_t{1});
  ASSERT_NE(store.Find(3, "a", "count"), nullptr);
  EXPECT_EQ(std::any_cast<int64_t>(*store.Find(3, "a", "count")), 4);
  EXPECT_EQ(store.Find(5, "a", "count"), nullptr);
  EXPECT_EQ(store.num_keys(), 2);
  EXPECT_EQ(store.KeysOf(5), std::vector<std::string>{"b"});
  store.Erase(3, "a", "count");
  EXPECT_EQ(store.num_keys(), 1);

  EXPECT_TRUE(store.RegisterTimer(3, "a", 30));
  EXPECT_FALSE(store.RegisterTimer(3, "a", 30));
  EXPECT_TRUE(store.RegisterTimer(5, "b", 10));
  EXPECT_TRUE(store.RegisterTimer(4, "c", 20));
  EXPECT_TRUE(store.DeleteTimer(4, "c", 20));
  EXPECT_FALSE(store.PopDueTimer(5).has_value());
  auto first = store.PopDueTimer(100);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->time, 10);
  EXPECT_EQ(first->key, "b");
  auto second = store.PopDueTimer(100);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->time, 30);
  EXPECT_FALSE(store.PopDueTimer(100).has_value());
}

TEST(KeyedStateStore, ListsAndMapsCountAsStateOfTheirKey) {
  KeyedStateStore store(8, KeyGroupRange{0, 8});
  store.Append(1, "a", "seen", int64_t{1});
  store.Append(1, "a", "seen", int64_t{2});
  ASSERT_NE(store.FindList(1, "a", "seen"), nullptr);
  EXPECT_EQ(store.FindList(1, "a", "seen")->size(), 2u);
  store.MapPut(2, "b", "by_page", "home", int64_t{3});
  store.MapPut(2, "b", "by_page", "cart", int64_t{4});
  EXPECT_EQ(store.num_keys(), 2);
  ASSERT_NE(store.FindMap(2, "b", "by_page"), nullptr);
  EXPECT_EQ(store.FindMap(2, "b", "by_page")->begin()->first, "cart");  // ordered by map key
  EXPECT_TRUE(store.MapErase(2, "b", "by_page", "cart"));
  EXPECT_FALSE(store.MapErase(2, "b", "by_page", "cart"));
  EXPECT_TRUE(store.MapErase(2, "b", "by_page", "home"));
  EXPECT_EQ(store.FindMap(2, "b", "by_page"), nullptr);  // an empty map is no state
  EXPECT_EQ(store.num_keys(), 1);
  // A key with only a timer holds no state, and keeps its timer when its state goes.
  EXPECT_TRUE(store.RegisterTimer(1, "a", 50, TimeDomain::kProcessingTime));
  store.PutList(1, "a", "seen", {});
  EXPECT_EQ(store.num_keys(), 0);
  EXPECT_TRUE(store.KeysOf(1).empty());
  EXPECT_EQ(store.num_timers(TimeDomain::kProcessingTime), 1);
  EXPECT_FALSE(store.PopDueTimer(100, TimeDomain::kEventTime).has_value());
  EXPECT_EQ(store.PopDueTimer(100, TimeDomain::kProcessingTime)->key, "a");
}

TEST(KeyedStateStore, ExpiresKeysByTheirLastWriteWithTheirTimers) {
  KeyedStateStore store(8, KeyGroupRange{0, 8});
  store.AdvanceWriteTime(10);
  store.Put(1, "a", "n", int64_t{1});
  store.Put(2, "b", "n", int64_t{1});
  EXPECT_TRUE(store.RegisterTimer(2, "b", 99));
  EXPECT_TRUE(store.RegisterTimer(2, "b", 98, TimeDomain::kProcessingTime));
  store.AdvanceWriteTime(20);
  store.Append(1, "a", "l", int64_t{1});  // a written again at 20
  EXPECT_TRUE(store.ExpireWrittenBefore(10).empty());
  auto expired = store.ExpireWrittenBefore(15);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].key, "b");
  EXPECT_EQ(expired[0].timers, 2);
  EXPECT_EQ(store.num_timers(), 0);
  EXPECT_EQ(store.num_keys(), 1);
  EXPECT_EQ(store.ExpireWrittenBefore(21).size(), 1u);
  EXPECT_EQ(store.num_keys(), 0);
}

}  // namespace
}  // namespace sabot
