// Stateless operators: filter, project (with_columns, rename), limit, union, explode.
#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/explode.h"
#include "sabot/ops/filter.h"
#include "sabot/ops/limit.h"
#include "sabot/ops/project.h"
#include "sabot/ops/tests/test_util.h"
#include "sabot/ops/union.h"

namespace sabot {
namespace {

using testing::BatchFromJson;
using testing::RecordingOperator;
using testing::TableFromJson;

std::shared_ptr<arrow::Schema> Schema() {
  return arrow::schema({arrow::field("a", arrow::int64()), arrow::field("s", arrow::utf8())});
}

const char* kRows = R"([{"a": 1, "s": "x"}, {"a": 2, "s": null}, {"a": null, "s": "z"}, {"a": 4, "s": "w"}])";

TEST(Filter, KeepsTrueRowsOnlyAndForwardsControl) {
  auto filter = MakeFilter(Schema(), col("a") > lit(int64_t{1}));
  ASSERT_TRUE(filter.ok()) << filter.status().ToString();
  RecordingOperator out(Schema());
  (*filter)->ConnectTo(&out, 0);
  ASSERT_TRUE((*filter)->Push(0, Message::Batch(BatchFromJson(Schema(), kRows))).ok());
  ASSERT_TRUE((*filter)->Push(0, Message::Watermark(10)).ok());
  // A batch with no selected row produces nothing; an empty batch passes with its schema.
  ASSERT_TRUE((*filter)->Push(0, Message::Batch(BatchFromJson(Schema(), R"([{"a": 0, "s": "q"}])"))).ok());
  ASSERT_TRUE((*filter)->Push(0, Message::Batch(BatchFromJson(Schema(), "[]"))).ok());
  ASSERT_TRUE((*filter)->Push(0, Message::EndOfStream()).ok());
  EXPECT_TABLE_EQ(out.Table(), TableFromJson(Schema(), R"([{"a": 2, "s": null}, {"a": 4, "s": "w"}])"));
  EXPECT_EQ(out.Controls(), (std::vector<std::string>{"Watermark(10)", "EndOfStream"}));
  ASSERT_EQ(out.messages.size(), 4u);
  EXPECT_EQ(out.messages[2].batch()->num_rows(), 0);
}

// KeepOnly drops the columns its consumer does not read, on every path: rows filtered,
// all rows kept, no row kept, an empty batch.
TEST(Filter, KeepOnlyPassesOnTheKeptColumns) {
  auto filter = MakeFilter(Schema(), col("a") > lit(int64_t{1}));
  ASSERT_TRUE(filter.ok()) << filter.status().ToString();
  ASSERT_TRUE((*filter)->KeepOnly({1}).ok());
  auto kept = arrow::schema({arrow::field("s", arrow::utf8())});
  EXPECT_TRUE((*filter)->output_schema()->Equals(*kept)) << (*filter)->output_schema()->ToString();
  RecordingOperator out(kept);
  (*filter)->ConnectTo(&out, 0);
  ASSERT_TRUE((*filter)->Push(0, Message::Batch(BatchFromJson(Schema(), kRows))).ok());
  ASSERT_TRUE((*filter)->Push(0, Message::Batch(BatchFromJson(Schema(), R"([{"a": 5, "s": "v"}])"))).ok());
  ASSERT_TRUE((*filter)->Push(0, Message::Batch(BatchFromJson(Schema(), R"([{"a": 0, "s": "q"}])"))).ok());
  ASSERT_TRUE((*filter)->Push(0, Message::Batch(BatchFromJson(Schema(), "[]"))).ok());
  ASSERT_TRUE((*filter)->Push(0, Message::EndOfStream()).ok());
  EXPECT_TABLE_EQ(out.Table(), TableFromJson(kept, R"([{"s": null}, {"s": "w"}, {"s": "v"}])"));
  for (const auto& m : out.messages) {
    if (m.is_batch()) {
      EXPECT_TRUE(m.batch()->schema()->Equals(*kept));
    }
  }
  // Once connected, or for columns out of range, it is a bug, reported as one.
  EXPECT_FALSE((*filter)->KeepOnly({0}).ok());
  auto other = MakeFilter(Schema(), col("a") > lit(int64_t{1}));
  EXPECT_FALSE((*other)->KeepOnly({2}).ok());
  EXPECT_FALSE((*other)->KeepOnly({}).ok());
}

TEST(Filter, PredicateMustBeBoolean) {
  auto filter = MakeFilter(Schema(), col("a") + lit(int64_t{1}));
  ASSERT_FALSE(filter.ok());
  EXPECT_EQ(filter.status().message(), "filter predicate `(a + 1)` must be boolean, found int64");
}

TEST(Project, ComputesColumnsAndChecksNames) {
  auto project = MakeProject(Schema(), {{"s", col("s")}, {"a10", col("a") * lit(int64_t{10})}});
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  auto out_schema = arrow::schema({arrow::field("s", arrow::utf8()), arrow::field("a10", arrow::int64())});
  EXPECT_TRUE((*project)->output_schema()->Equals(*out_schema));
  RecordingOperator out(out_schema);
  (*project)->ConnectTo(&out, 0);
  ASSERT_TRUE((*project)->Push(0, Message::Batch(BatchFromJson(Schema(), kRows))).ok());
  EXPECT_TABLE_EQ(out.Table(), TableFromJson(out_schema, R"([{"s": "x", "a10": 10}, {"s": null, "a10": 20},
                                                           {"s": "z", "a10": null}, {"s": "w", "a10": 40}])"));
  auto dup = MakeProject(Schema(), {{"x", col("a")}, {"x", col("s")}});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().message(), "output column 'x' is defined more than once");
}

TEST(Project, WithColumnsReplacesInPlaceAndAppends) {
  auto columns = WithColumnsProjection(*Schema(), {{"b", col("a") + col("a")}, {"a", lit(int64_t{0})}});
  ASSERT_EQ(columns.size(), 3u);
  EXPECT_EQ(columns[0].name, "a");
  EXPECT_EQ(columns[0].expr.ToString(), "0");
  EXPECT_EQ(columns[1].name, "s");
  EXPECT_EQ(columns[2].name, "b");
}

TEST(Project, RenameErrors) {
  auto ok = RenameProjection(*Schema(), {{"a", "id"}});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)[0].name, "id");
  auto missing = RenameProjection(*Schema(), {{"b", "c"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "cannot rename column 'b': it does not exist; the columns are: a, s");
  auto clash = RenameProjection(*Schema(), {{"a", "s"}});
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().message(), "rename gives two columns the name 's'");
}

TEST(Limit, OffsetAndCountAcrossBatchesThenStops) {
  LimitOperator limit(Schema(), std::make_shared<LimitState>(3, 2));
  RecordingOperator out(Schema());
  limit.ConnectTo(&out, 0);
  auto batch = BatchFromJson(Schema(), kRows);  // a = 1, 2, null, 4
  ASSERT_EQ(*limit.Push(0, Message::Batch(batch)), Flow::kContinue);
  ASSERT_EQ(*limit.Push(0, Message::Batch(batch)), Flow::kStop);
  ASSERT_EQ(*limit.Push(0, Message::Batch(batch)), Flow::kStop);
  ASSERT_EQ(*limit.Push(0, Message::EndOfStream()), Flow::kStop);
  EXPECT_TABLE_EQ(out.Table(), TableFromJson(Schema(), R"([{"a": null, "s": "z"}, {"a": 4, "s": "w"},
                                                         {"a": 1, "s": "x"}])"));
  // Exactly one EndOfStream, sent when the budget ran out.
  EXPECT_EQ(out.Controls(), (std::vector<std::string>{"EndOfStream"}));
}

TEST(Limit, ZeroEndsAtOnceAndShortInputEnds) {
  LimitOperator zero(Schema(), std::make_shared<LimitState>(0, 0));
  RecordingOperator out(Schema());
  zero.ConnectTo(&out, 0);
  ASSERT_EQ(*zero.Push(0, Message::Batch(BatchFromJson(Schema(), kRows))), Flow::kStop);
  EXPECT_EQ(out.Table()->num_rows(), 0);
  EXPECT_EQ(out.Controls(), (std::vector<std::string>{"EndOfStream"}));

  LimitOperator big(Schema(), std::make_shared<LimitState>(100, 0));
  RecordingOperator out2(Schema());
  big.ConnectTo(&out2, 0);
  ASSERT_EQ(*big.Push(0, Message::Batch(BatchFromJson(Schema(), kRows))), Flow::kContinue);
  ASSERT_EQ(*big.Push(0, Message::EndOfStream()), Flow::kStop);
  EXPECT_EQ(out2.Table()->num_rows(), 4);
  EXPECT_EQ(out2.Controls(), (std::vector<std::string>{"EndOfStream"}));
}

TEST(Union, MergesWatermarksAsMinimumAndEndsAfterAllInputs) {
  UnionOperator u(Schema(), 2);
  RecordingOperator out(Schema());
  u.ConnectTo(&out, 0);
  auto batch = BatchFromJson(Schema(), kRows);
  ASSERT_TRUE(u.Push(0, Message::Batch(batch)).ok());
  ASSERT_TRUE(u.Push(0, Message::Watermark(10)).ok());  // input 1 holds it back
  ASSERT_TRUE(u.Push(1, Message::Watermark(5)).ok());   // min(10, 5) = 5
  ASSERT_TRUE(u.Push(1, Message::Batch(batch)).ok());
  ASSERT_TRUE(u.Push(1, Message::Watermark(20)).ok());  // min(10, 20) = 10
  ASSERT_TRUE(u.Push(0, Message::CheckpointBarrier(1)).ok());
  ASSERT_TRUE(u.Push(1, Message::CheckpointBarrier(1)).ok());  // both delivered: forwarded
  ASSERT_TRUE(u.Push(0, Message::EndOfStream()).ok());         // input 0 done: min = 20
  ASSERT_TRUE(u.Push(1, Message::EndOfStream()).ok());
  EXPECT_EQ(out.Table()->num_rows(), 8);
  EXPECT_EQ(out.Controls(), (std::vector<std::string>{"Watermark(5)", "Watermark(10)", "CheckpointBarrier(1)",
                                                      "Watermark(20)", "EndOfStream"}));
}

TEST(Union, StopsAllInputsWhenDownstreamStops) {
  UnionOperator u(Schema(), 2);
  RecordingOperator out(Schema(), /*stop_after_batches=*/1);
  u.ConnectTo(&out, 0);
  auto batch = BatchFromJson(Schema(), kRows);
  EXPECT_EQ(*u.Push(0, Message::Batch(batch)), Flow::kStop);
  EXPECT_EQ(*u.Push(1, Message::Batch(batch)), Flow::kStop);
  EXPECT_EQ(out.Table()->num_rows(), 4);
}

TEST(Union, SchemasMustMatch) {
  auto other = arrow::schema({arrow::field("a", arrow::int32()), arrow::field("s", arrow::utf8())});
  auto st = CheckUnionSchemas({Schema(), Schema(), other});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "union input 2 column 0 is a: int32, input 0 has a: int64");
  auto narrower = CheckUnionSchemas({Schema(), arrow::schema({arrow::field("a", arrow::int64())})});
  ASSERT_FALSE(narrower.ok());
  EXPECT_EQ(narrower.message(), "union input 1 has 1 columns (a), input 0 has 2 (a, s)");
}

TEST(Explode, OneRowPerElement) {
  auto schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("tags", arrow::list(arrow::utf8()))});
  auto explode = MakeExplode(schema, "tags");
  ASSERT_TRUE(explode.ok()) << explode.status().ToString();
  auto out_schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("tags", arrow::utf8())});
  EXPECT_TRUE((*explode)->output_schema()->Equals(*out_schema));
  RecordingOperator out(out_schema);
  (*explode)->ConnectTo(&out, 0);
  auto batch = BatchFromJson(schema, R"([{"id": 1, "tags": ["a", "b"]}, {"id": 2, "tags": []},
                                         {"id": 3, "tags": null}, {"id": 4, "tags": ["c", null]}])");
  // A slice exercises list offsets that do not start at zero.
  ASSERT_TRUE((*explode)->Push(0, Message::Batch(batch->Slice(0, 4))).ok());
  ASSERT_TRUE((*explode)->Push(0, Message::Batch(batch->Slice(3, 1))).ok());
  EXPECT_TABLE_EQ(out.Table(), TableFromJson(out_schema, R"([{"id": 1, "tags": "a"}, {"id": 1, "tags": "b"},
      {"id": 4, "tags": "c"}, {"id": 4, "tags": null}, {"id": 4, "tags": "c"}, {"id": 4, "tags": null}])"));
}

TEST(Explode, ColumnMustBeAList) {
  auto notlist = MakeExplode(Schema(), "s");
  ASSERT_FALSE(notlist.ok());
  EXPECT_EQ(notlist.status().message(), "cannot explode column 's': expected a list, found string");
  auto missing = MakeExplode(Schema(), "tags");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "cannot explode column 'tags': it does not exist; the columns are: a, s");
}

}  // namespace
}  // namespace sabot
