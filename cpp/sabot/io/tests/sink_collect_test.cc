// Collect and count sinks: what API callers and benchmarks get back.
#include <arrow/array.h>
#include <arrow/json/from_string.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>
#include <gtest/gtest.h>

#include "sabot/io/sink_factory.h"

namespace sabot {
namespace {

class SinkCollectTest : public ::testing::Test {
 protected:
  std::shared_ptr<arrow::Schema> schema_ = arrow::schema({arrow::field("x", arrow::int64())});

  std::shared_ptr<arrow::RecordBatch> Batch(const char* json) {
    auto array = arrow::json::ArrayFromJSONString(arrow::int64(), json).ValueOrDie();
    return arrow::RecordBatch::Make(schema_, array->length(), {array});
  }

  std::unique_ptr<Sink> Make(SinkSpec::Kind kind) {
    SinkSpec spec;
    spec.kind = kind;
    auto sink = MakeSink(spec, schema_, &output_);
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    return sink.ok() ? *std::move(sink) : nullptr;
  }

  SinkOutput output_;
};

TEST_F(SinkCollectTest, CollectKeepsNonEmptyBatchesInOrder) {
  auto sink = Make(SinkSpec::Kind::kCollect);
  ASSERT_NE(sink, nullptr);
  auto a = Batch("[1, null]");
  auto b = Batch("[3]");
  for (const Message& m : {Message::Batch(a), Message::Batch(Batch("[]")),
                           Message::CheckpointBarrier(1), Message::Batch(b)}) {
    ASSERT_TRUE(sink->Push(0, m).ok());
  }
  EXPECT_TRUE(output_.collected.empty()) << "batches appear at EndOfStream";
  ASSERT_TRUE(sink->Push(0, Message::EndOfStream()).ok());
  ASSERT_EQ(output_.collected.size(), 2u);
  EXPECT_TRUE(output_.collected[0]->Equals(*a));
  EXPECT_TRUE(output_.collected[1]->Equals(*b));
  EXPECT_EQ(output_.rows, 3);
}

TEST_F(SinkCollectTest, CollectOfNoRowsKeepsTheSchema) {
  auto sink = Make(SinkSpec::Kind::kCollect);
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->Push(0, Message::Batch(Batch("[]"))).ok());
  ASSERT_TRUE(sink->Push(0, Message::EndOfStream()).ok());
  ASSERT_EQ(output_.collected.size(), 1u);
  EXPECT_EQ(output_.collected[0]->num_rows(), 0);
  EXPECT_TRUE(output_.collected[0]->schema()->Equals(*schema_));
}

TEST_F(SinkCollectTest, AbortedCollectAddsNothing) {
  auto sink = Make(SinkSpec::Kind::kCollect);
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->Push(0, Message::Batch(Batch("[1]"))).ok());
  ASSERT_TRUE(sink->Abort().ok());
  EXPECT_TRUE(output_.collected.empty());
}

TEST_F(SinkCollectTest, CountCountsRowsAndKeepsNothing) {
  auto sink = Make(SinkSpec::Kind::kCount);
  ASSERT_NE(sink, nullptr);
  for (const char* json : {"[1, 2, 3]", "[]", "[null]"}) {
    ASSERT_TRUE(sink->Push(0, Message::Batch(Batch(json))).ok());
  }
  ASSERT_TRUE(sink->Push(0, Message::Watermark(kMaxWatermark)).ok());
  ASSERT_TRUE(sink->Push(0, Message::EndOfStream()).ok());
  EXPECT_EQ(output_.rows, 4);
  EXPECT_TRUE(output_.collected.empty());
}

TEST_F(SinkCollectTest, WrongSchemaIsAnInternalError) {
  auto sink = Make(SinkSpec::Kind::kCount);
  ASSERT_NE(sink, nullptr);
  auto other = arrow::schema({arrow::field("y", arrow::int64())});
  auto batch = arrow::RecordBatch::Make(other, 0, {Batch("[]")->column(0)});
  auto flow = sink->Push(0, Message::Batch(batch));
  ASSERT_FALSE(flow.ok());
  EXPECT_NE(flow.status().message().find("internal error"), std::string::npos);
}

}  // namespace
}  // namespace sabot
