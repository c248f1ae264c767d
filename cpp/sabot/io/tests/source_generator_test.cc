// Tests for GeneratorSource: determinism, split independence, watermarks, rate limit.
#include <chrono>
#include <limits>
#include <set>
#include <string>
#include <thread>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/io/generator_source.h"
#include "sabot/io/source_factory.h"
#include "sabot/io/tests/read_all.h"

namespace sabot {
namespace {

using ::sabot::testing::DrainSplit;
using ::sabot::testing::Drained;
using ::sabot::testing::ReadAll;
using ::sabot::testing::ReadTable;

SourceSpec GenSpec(int64_t rows, int64_t batch_size = 1000) {
  SourceSpec spec;
  spec.kind = SourceSpec::Kind::kGenerator;
  spec.generator.rows = rows;
  spec.generator.batch_size = batch_size;
  return spec;
}

std::shared_ptr<arrow::Table> Combine(const std::shared_ptr<arrow::Table>& t) {
  auto combined = t->CombineChunks();
  EXPECT_TRUE(combined.ok());
  return *combined;
}

TEST(GeneratorSource, SchemaAndValueRanges) {
  auto spec = GenSpec(5000);
  spec.generator.num_keys = 7;
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(spec));
  EXPECT_TRUE(source->bounded());
  EXPECT_EQ(source->schema()->ToString(),
            "id: int64 not null\nkey: int64 not null\nvalue: double not null\n"
            "category: string not null\nts: timestamp[us] not null");
  ASSERT_OK_AND_ASSIGN(auto table, ReadTable(*source));
  table = Combine(table);
  ASSERT_EQ(table->num_rows(), 5000);
  auto id = std::static_pointer_cast<arrow::Int64Array>(table->column(0)->chunk(0));
  auto key = std::static_pointer_cast<arrow::Int64Array>(table->column(1)->chunk(0));
  auto value = std::static_pointer_cast<arrow::DoubleArray>(table->column(2)->chunk(0));
  auto category = std::static_pointer_cast<arrow::StringArray>(table->column(3)->chunk(0));
  auto ts = std::static_pointer_cast<arrow::TimestampArray>(table->column(4)->chunk(0));
  std::set<int64_t> keys;
  std::set<std::string> words;
  for (int64_t i = 0; i < 5000; ++i) {
    EXPECT_EQ(id->Value(i), i);
    ASSERT_GE(key->Value(i), 0);
    ASSERT_LT(key->Value(i), 7);
    ASSERT_GE(value->Value(i), 0.0);
    ASSERT_LT(value->Value(i), 1.0);
    EXPECT_EQ(ts->Value(i), spec.generator.start_time_us + i * spec.generator.time_step_us);
    keys.insert(key->Value(i));
    words.insert(category->GetString(i));
  }
  EXPECT_EQ(keys.size(), 7u);
  EXPECT_EQ(words.size(), 8u);
  ASSERT_OK(table->ValidateFull());
}

TEST(GeneratorSource, SameSeedSameRowsOtherSeedOtherRows) {
  ASSERT_OK_AND_ASSIGN(auto a, MakeSource(GenSpec(3000)));
  ASSERT_OK_AND_ASSIGN(auto b, MakeSource(GenSpec(3000)));
  auto other_spec = GenSpec(3000);
  other_spec.generator.seed = 7;
  ASSERT_OK_AND_ASSIGN(auto c, MakeSource(other_spec));
  ASSERT_OK_AND_ASSIGN(auto ta, ReadTable(*a));
  ASSERT_OK_AND_ASSIGN(auto tb, ReadTable(*b));
  ASSERT_OK_AND_ASSIGN(auto tc, ReadTable(*c));
  EXPECT_TRUE(ta->Equals(*tb));
  EXPECT_FALSE(ta->Equals(*tc));
}

TEST(GeneratorSource, SplitsConcatenateToOneRange) {
  const int64_t rows = 2 * GeneratorSource::kSplitRows + 12345;
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(GenSpec(rows, 65536)));
  ASSERT_OK_AND_ASSIGN(auto splits, source->Splits());
  EXPECT_EQ(splits.size(), 3u);
  ASSERT_OK_AND_ASSIGN(auto split_table, ReadTable(*source));
  Drained whole;
  ASSERT_OK(DrainSplit(*source, GeneratorSplit(0, rows), &whole));
  ASSERT_OK_AND_ASSIGN(auto whole_table,
                       arrow::Table::FromRecordBatches(source->schema(), whole.batches));
  EXPECT_EQ(split_table->num_rows(), rows);
  EXPECT_TRUE(Combine(split_table)->Equals(*Combine(whole_table)));

  // A range opened on its own equals the same rows of the whole.
  Drained middle;
  ASSERT_OK(DrainSplit(*source, GeneratorSplit(777, 1777), &middle));
  ASSERT_OK_AND_ASSIGN(auto middle_table,
                       arrow::Table::FromRecordBatches(source->schema(), middle.batches));
  EXPECT_TRUE(Combine(middle_table)->Equals(*Combine(whole_table->Slice(777, 1000))));
}

TEST(GeneratorSource, WatermarkFollowsEachBatch) {
  auto spec = GenSpec(2500, 1000);
  spec.generator.max_out_of_orderness_us = 5000;
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(spec));
  ASSERT_OK_AND_ASSIGN(auto splits, source->Splits());
  ASSERT_EQ(splits.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto reader, source->Open(*splits[0]));
  int64_t max_ts = std::numeric_limits<int64_t>::min();
  int batches = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(auto poll, reader->Next());
    if (poll.state == SourcePoll::State::kExhausted) break;
    ASSERT_EQ(poll.state, SourcePoll::State::kMessage);
    ASSERT_TRUE(poll.message->is_batch());
    ++batches;
    auto id = std::static_pointer_cast<arrow::Int64Array>(poll.message->batch()->column(0));
    auto ts = std::static_pointer_cast<arrow::TimestampArray>(poll.message->batch()->column(4));
    for (int64_t i = 0; i < ts->length(); ++i) {
      const int64_t nominal =
          spec.generator.start_time_us + id->Value(i) * spec.generator.time_step_us;
      // Jitter only moves events back, and by at most the bound.
      ASSERT_LE(ts->Value(i), nominal);
      ASSERT_GE(ts->Value(i), nominal - 5000);
      max_ts = std::max(max_ts, ts->Value(i));
    }
    ASSERT_OK_AND_ASSIGN(auto wm, reader->Next());
    ASSERT_EQ(wm.state, SourcePoll::State::kMessage);
    ASSERT_EQ(wm.message->kind(), MessageKind::kWatermark);
    EXPECT_EQ(wm.message->watermark(), max_ts - 5000);
  }
  EXPECT_EQ(batches, 3);
}

TEST(GeneratorSource, UnboundedHasOneEndlessSplit) {
  auto spec = GenSpec(-1, 100);
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(spec));
  EXPECT_FALSE(source->bounded());
  ASSERT_OK_AND_ASSIGN(auto splits, source->Splits());
  ASSERT_EQ(splits.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto reader, source->Open(*splits[0]));
  int64_t rows = 0;
  for (int i = 0; i < 2000; ++i) {  // far more than any bounded default would give here
    ASSERT_OK_AND_ASSIGN(auto poll, reader->Next());
    ASSERT_EQ(poll.state, SourcePoll::State::kMessage);
    if (poll.message->is_batch()) rows += poll.message->batch()->num_rows();
  }
  EXPECT_EQ(rows, 1000 * 100);
}

TEST(GeneratorSource, RateLimitReturnsPendingInsteadOfSleeping) {
  auto spec = GenSpec(300, 100);
  spec.generator.rows_per_second = 1000;  // a batch of 100 every 100 ms
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(spec));
  ASSERT_OK_AND_ASSIGN(auto splits, source->Splits());
  ASSERT_OK_AND_ASSIGN(auto reader, source->Open(*splits[0]));
  ASSERT_OK_AND_ASSIGN(auto first, reader->Next());
  ASSERT_TRUE(first.state == SourcePoll::State::kMessage && first.message->is_batch());
  ASSERT_OK_AND_ASSIGN(auto wm, reader->Next());
  ASSERT_EQ(wm.message->kind(), MessageKind::kWatermark);
  const auto before = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(auto pending, reader->Next());
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(20));
  ASSERT_EQ(pending.state, SourcePoll::State::kPending);
  EXPECT_GT(pending.ready_at, before + std::chrono::milliseconds(50));
  EXPECT_LE(pending.ready_at, before + std::chrono::milliseconds(100));
  std::this_thread::sleep_until(pending.ready_at);
  ASSERT_OK_AND_ASSIGN(auto second, reader->Next());
  ASSERT_TRUE(second.state == SourcePoll::State::kMessage && second.message->is_batch());
  EXPECT_EQ(std::static_pointer_cast<arrow::Int64Array>(second.message->batch()->column(0))->Value(0),
            100);
}

TEST(GeneratorSource, ProjectionAndBadOptions) {
  auto spec = GenSpec(10);
  spec.columns = {"ts", "key"};
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(spec));
  EXPECT_EQ(source->schema()->ToString(), "ts: timestamp[us] not null\nkey: int64 not null");
  ASSERT_OK_AND_ASSIGN(auto drained, ReadAll(*source));
  EXPECT_EQ(drained.num_rows, 10);

  spec.columns = {"nope"};
  auto bad = MakeSource(spec);
  ASSERT_FALSE(bad.ok());
  EXPECT_HAS_SUBSTR(bad.status().message(),
                    "unknown column 'nope' (available columns: id, key, value, category, ts)");
  auto zero = GenSpec(10, 0);
  EXPECT_HAS_SUBSTR(MakeSource(zero).status().message(), "batch_size must be > 0");
}

}  // namespace
}  // namespace sabot
