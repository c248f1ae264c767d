// ChangelogAggregate: inserts, update pairs for changed groups only, deletes by TTL.
#include <gtest/gtest.h>

#include "sabot/ops/changelog_aggregate.h"
#include "sabot/ops/tests/test_util.h"

namespace sabot {
namespace {

using testing::BatchFromJson;
using testing::RecordingOperator;
using testing::TableFromJson;

std::shared_ptr<arrow::Schema> Input() {
  return arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::int64()),
                        arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO))});
}

TEST(ChangelogAggregate, EmitsInsertsAndUpdatePairsOfChangedGroups) {
  auto op = MakeChangelogAggregate(Input(), {"k"}, {{AggregateFunction::kSum, "v", "total"}});
  ASSERT_TRUE(op.ok()) << op.status();
  RecordingOperator out((*op)->output_schema());
  (*op)->ConnectTo(&out, 0);
  ASSERT_TRUE((*op)->Push(0, Message::Batch(BatchFromJson(Input(), R"([{"k": 1, "v": 2, "ts": 0}])"))).ok());
  ASSERT_TRUE((*op)->Push(0, Message::Batch(BatchFromJson(Input(), R"([{"k": 1, "v": 3, "ts": 1},
                                                                      {"k": 2, "v": 0, "ts": 1}])"))).ok());
  ASSERT_TRUE((*op)->Push(0, Message::Batch(BatchFromJson(Input(), R"([{"k": 2, "v": 0, "ts": 2}])"))).ok());
  EXPECT_TABLE_EQ(out.Table(), TableFromJson((*op)->output_schema(), R"([
      {"op": "insert", "k": 1, "total": 2},
      {"op": "update_before", "k": 1, "total": 2},
      {"op": "update_after", "k": 1, "total": 5},
      {"op": "insert", "k": 2, "total": 0}])"));
}

TEST(ChangelogAggregate, TtlDeletesQuietKeysWhichStartAfreshLater) {
  ChangelogAggregateOptions options;
  options.state_ttl_us = 10;
  options.time_column = "ts";
  auto op = MakeChangelogAggregate(Input(), {"k"}, {{AggregateFunction::kCountAll, "", "n"}}, options);
  ASSERT_TRUE(op.ok()) << op.status();
  RecordingOperator out((*op)->output_schema());
  (*op)->ConnectTo(&out, 0);
  ASSERT_TRUE((*op)->Push(0, Message::Batch(BatchFromJson(Input(), R"([{"k": 1, "v": 0, "ts": 0},
                                                                      {"k": 2, "v": 0, "ts": 5}])"))).ok());
  ASSERT_TRUE((*op)->Push(0, Message::Watermark(12)).ok());  // k=1 quiet since 0: 0 + 10 <= 12
  EXPECT_EQ((*op)->state_rows(), 1);
  ASSERT_TRUE((*op)->Push(0, Message::Batch(BatchFromJson(Input(), R"([{"k": 1, "v": 0, "ts": 13},
                                                                      {"k": 2, "v": 0, "ts": 13}])"))).ok());
  EXPECT_TABLE_EQ(out.Table(), TableFromJson((*op)->output_schema(), R"([
      {"op": "insert", "k": 1, "n": 1},
      {"op": "insert", "k": 2, "n": 1},
      {"op": "delete", "k": 1, "n": 1},
      {"op": "update_before", "k": 2, "n": 1},
      {"op": "update_after", "k": 2, "n": 2},
      {"op": "insert", "k": 1, "n": 1}])"));
}

TEST(ChangelogAggregate, TtlNeedsKeysAndATimeColumn) {
  ChangelogAggregateOptions options;
  options.state_ttl_us = 10;
  options.time_column = "v";
  auto op = MakeChangelogAggregate(Input(), {"k"}, {{AggregateFunction::kCountAll, "", "n"}}, options);
  ASSERT_FALSE(op.ok());
  EXPECT_NE(op.status().message().find("timestamp"), std::string::npos) << op.status();
  options.time_column = "ts";
  op = MakeChangelogAggregate(Input(), {}, {{AggregateFunction::kCountAll, "", "n"}}, options);
  ASSERT_FALSE(op.ok());
  EXPECT_NE(op.status().message().find("keys"), std::string::npos) << op.status();
}

}  // namespace
}  // namespace sabot
