// Tests for MemorySource: zero-copy slices of an in-memory table, with projection.
#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/io/source_factory.h"
#include "sabot/io/tests/read_all.h"

namespace sabot {
namespace {

using ::sabot::testing::ReadTable;

TEST(MemorySource, SlicesTableIntoSplitsAndProjects) {
  const int64_t rows = 150000;
  arrow::Int64Builder a_builder;
  arrow::DoubleBuilder b_builder;
  ASSERT_OK(a_builder.Reserve(rows));
  ASSERT_OK(b_builder.Reserve(rows));
  for (int64_t i = 0; i < rows; ++i) {
    a_builder.UnsafeAppend(i);
    b_builder.UnsafeAppend(i * 0.5);
  }
  ASSERT_OK_AND_ASSIGN(auto a, a_builder.Finish());
  ASSERT_OK_AND_ASSIGN(auto b, b_builder.Finish());
  auto table = arrow::Table::Make(
      arrow::schema({arrow::field("a", arrow::int64()), arrow::field("b", arrow::float64())}), {a, b});

  SourceSpec spec;
  spec.kind = SourceSpec::Kind::kMemory;
  spec.table = table;
  spec.columns = {"b"};
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(spec));
  ASSERT_OK_AND_ASSIGN(auto splits, source->Splits());
  EXPECT_EQ(splits.size(), 3u);  // 64K, 64K, the rest
  ASSERT_OK_AND_ASSIGN(auto out, ReadTable(*source));
  ASSERT_EQ(out->num_columns(), 1);
  EXPECT_TRUE(out->column(0)->Equals(*table->column(1)));

  spec.columns = {"c"};
  auto bad = MakeSource(spec);
  ASSERT_FALSE(bad.ok());
  EXPECT_HAS_SUBSTR(bad.status().message(), "table: unknown column 'c' (available columns: a, b)");
}

TEST(MemorySource, EventTimeColumnAddsBoundedOutOfOrdernessWatermarks) {
  auto schema = arrow::schema({arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MILLI))});
  auto batch = [&](const std::string& json) {
    auto array = arrow::json::ArrayFromJSONString(arrow::timestamp(arrow::TimeUnit::MILLI), json).ValueOrDie();
    return arrow::RecordBatch::Make(schema, array->length(), {array});
  };
  auto table = arrow::Table::FromRecordBatches(schema, {batch("[5, 3]"), batch("[4, 9, 7]")}).ValueOrDie();
  SourceSpec spec;
  spec.kind = SourceSpec::Kind::kMemory;
  spec.table = table;
  spec.event_time_column = "ts";
  spec.max_out_of_orderness_us = 2000;
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(spec));
  ASSERT_OK_AND_ASSIGN(auto splits, source->Splits());
  ASSERT_OK_AND_ASSIGN(auto reader, source->Open(*splits[0]));
  std::vector<std::string> seen;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(auto poll, reader->Next());
    if (poll.state == SourcePoll::State::kExhausted) break;
    ASSERT_EQ(poll.state, SourcePoll::State::kMessage);
    seen.push_back(poll.message->is_batch() ? std::to_string(poll.message->batch()->num_rows()) + " rows"
                                            : poll.message->ToString());
  }
  // Milliseconds read as microseconds: max 5ms - 2ms, then max 9ms - 2ms.
  EXPECT_EQ(seen, (std::vector<std::string>{"2 rows", "Watermark(3000)", "3 rows", "Watermark(7000)"}));

  spec.event_time_column = "nope";
  auto missing = MakeSource(spec);
  ASSERT_FALSE(missing.ok());
  EXPECT_HAS_SUBSTR(missing.status().message(), "event time column 'nope' does not exist");
}

}  // namespace
}  // namespace sabot
