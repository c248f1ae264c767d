// Key groups and the keyed state store: stable, width-independent key hashing; values
// and timers per key group.
#include <gtest/gtest.h>

#include <arrow/api.h>

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
