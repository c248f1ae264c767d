// Late decoding of group keys: an aggregate over a filter over Parquet groups the string
// keys read as dictionaries without decoding them, and its output, the plan's schemas and
// results on every thread count are what decoded keys give.
#include <map>
#include <random>

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>

#include "sabot/io/tests/read_all.h"
#include "sabot/plan/stream.h"
#include "sabot/runtime/physical_planner.h"
#include "sabot/runtime/run.h"

namespace sabot {
namespace {

using ::sabot::testing::TempDir;

// 40K rows in 4 row groups: `a` and `b` low-cardinality strings (with nulls), `x` in [0, 1).
std::string WriteInput(const TempDir& dir) {
  std::mt19937 rng(3);
  const char* flags[] = {"A", "N", "R"};
  arrow::StringBuilder a, b;
  arrow::DoubleBuilder x;
  for (int i = 0; i < 40'000; ++i) {
    EXPECT_TRUE((rng() % 30 == 0 ? a.AppendNull() : a.Append(flags[(rng() % 2) + (i / 10'000) % 2])).ok());
    EXPECT_TRUE(b.Append(rng() % 2 ? "F" : "O").ok());
    EXPECT_TRUE(x.Append(static_cast<double>(rng() % 1000) / 1000).ok());
  }
  auto table = arrow::Table::Make(
      arrow::schema({arrow::field("a", arrow::utf8()), arrow::field("b", arrow::utf8()),
                     arrow::field("x", arrow::float64())}),
      {*a.Finish(), *b.Finish(), *x.Finish()});
  const std::string path = dir.File("t.parquet");
  auto out = *arrow::io::FileOutputStream::Open(path);
  EXPECT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, 10'000).ok());
  EXPECT_TRUE(out->Close().ok());
  return path;
}

// (a, b) -> count, from the collected rows.
std::map<std::pair<std::string, std::string>, int64_t> Counts(const RunResult& result) {
  std::map<std::pair<std::string, std::string>, int64_t> counts;
  for (const auto& batch : result.collected) {
    auto a = std::static_pointer_cast<arrow::StringArray>(batch->column(0));
    auto b = std::static_pointer_cast<arrow::StringArray>(batch->column(1));
    auto n = std::static_pointer_cast<arrow::Int64Array>(batch->column(2));
    for (int64_t i = 0; i < batch->num_rows(); ++i) {
      counts[{a->IsNull(i) ? "<null>" : a->GetString(i), b->GetString(i)}] = n->Value(i);
    }
  }
  return counts;
}

TEST(DictionaryKeys, AggregateOverFilteredParquetGroupsKeysAsRead) {
  TempDir dir;
  const std::string path = WriteInput(dir);
  const AggregateSpec count{AggregateFunction::kCountAll, "", "n"};
  auto stream = Stream::ReadParquet(path).Filter(col("x") < lit(0.7)).WithColumn("y", col("x") * lit(2.0));
  auto plan = stream.Aggregate({"a", "b"}, {count}).Collect();

  SinkOutput output;
  auto lowered = LowerPlan(*plan, &output);
  ASSERT_TRUE(lowered.ok()) << lowered.status().ToString();
  EXPECT_EQ(lowered->aggregates_decoding_keys.size(), 1u);
  const PlanNode& with_columns = *plan->input()->input();
  EXPECT_EQ(lowered->schemas.at(&with_columns)->GetFieldByName("a")->type()->id(), arrow::Type::DICTIONARY);
  EXPECT_TRUE(lowered->schemas.at(plan->input().get())->GetFieldByName("a")->type()->Equals(*arrow::utf8()));
  auto explained = ExplainPlan(*plan);
  ASSERT_TRUE(explained.ok());
  EXPECT_EQ(explained->find("dictionary"), std::string::npos) << *explained;

  // The same counts as with the keys decoded first (an aggregate reading a key keeps them plain).
  const AggregateSpec min_a{AggregateFunction::kMin, "a", "lo"};
  auto plain_plan = stream.Aggregate({"a", "b"}, {count, min_a}).Collect();
  auto plain_lowered = LowerPlan(*plain_plan, &output);
  ASSERT_TRUE(plain_lowered.ok());
  EXPECT_TRUE(plain_lowered->aggregates_decoding_keys.empty());
  RunOptions options;
  auto plain = RunPlan(*plain_plan, options);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  const auto want = Counts(*plain);
  EXPECT_EQ(want.size(), 8u);  // A, N, R, null by F, O
  for (int threads : {1, 2, 8}) {
    options.threads = threads;
    auto got = RunPlan(*plan, options);
    ASSERT_TRUE(got.ok()) << threads << " threads: " << got.status().ToString();
    EXPECT_TRUE(got->schema->field(0)->type()->Equals(*arrow::utf8()));
    EXPECT_EQ(Counts(*got), want) << threads << " threads";
  }
}

// Without a filter there is no decoder to leave the keys to: the source itself reads the
// keys as dictionaries, and only them.
TEST(DictionaryKeys, AggregateOverParquetWithoutFilterReadsOnlyItsKeysAsDictionaries) {
  TempDir dir;
  const std::string path = WriteInput(dir);
  const AggregateSpec count{AggregateFunction::kCountAll, "", "n"};
  const AggregateSpec max_b{AggregateFunction::kMax, "b", "hi"};
  auto stream = Stream::ReadParquet(path).WithColumn("y", col("x") * lit(2.0));
  auto plan = stream.Aggregate({"a"}, {count, max_b}).Collect();
  SinkOutput output;
  auto lowered = LowerPlan(*plan, &output);
  ASSERT_TRUE(lowered.ok()) << lowered.status().ToString();
  EXPECT_EQ(lowered->aggregates_decoding_keys.size(), 1u);
  const PlanNode* source = plan->input()->input()->input().get();
  ASSERT_EQ(source->kind(), PlanKind::kSource);
  const auto& read = *lowered->schemas.at(source);
  EXPECT_EQ(read.GetFieldByName("a")->type()->id(), arrow::Type::DICTIONARY);
  EXPECT_TRUE(read.GetFieldByName("b")->type()->Equals(*arrow::utf8()));  // not a key: as before

  // A key DictKeyGrouper cannot take beside it (a double) leaves the source as it was.
  auto mixed = stream.Aggregate({"a", "x"}, {count}).Collect();
  auto mixed_lowered = LowerPlan(*mixed, &output);
  ASSERT_TRUE(mixed_lowered.ok());
  EXPECT_TRUE(mixed_lowered->aggregates_decoding_keys.empty());
  const auto& mixed_read = *mixed_lowered->schemas.at(mixed->input()->input()->input().get());
  EXPECT_TRUE(mixed_read.GetFieldByName("a")->type()->Equals(*arrow::utf8()));

  // The same rows as with the keys decoded first (min of a key keeps them plain).
  const AggregateSpec min_a{AggregateFunction::kMin, "a", "lo"};
  auto plain_plan = stream.Aggregate({"a"}, {min_a, count, max_b}).Select({"a", "n", "hi"}).Collect();
  RunOptions options;
  auto plain = RunPlan(*plain_plan, options);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  auto want = *plain->ToTable();
  want = *want->CombineChunks();
  for (int threads : {1, 2, 8}) {
    options.threads = threads;
    auto got = RunPlan(*plan, options);
    ASSERT_TRUE(got.ok()) << threads << " threads: " << got.status().ToString();
    EXPECT_TRUE(got->schema->field(0)->type()->Equals(*arrow::utf8()));
    // By key: the groups' order is the grouper's.
    auto sorted = [](const std::shared_ptr<arrow::Table>& table) {
      std::map<std::string, std::pair<int64_t, std::string>> rows;
      auto t = *table->CombineChunks();
      const auto& a = static_cast<const arrow::StringArray&>(*t->column(0)->chunk(0));
      const auto& n = static_cast<const arrow::Int64Array&>(*t->column(1)->chunk(0));
      const auto& hi = static_cast<const arrow::StringArray&>(*t->column(2)->chunk(0));
      for (int64_t i = 0; i < t->num_rows(); ++i) rows[a.IsNull(i) ? "<null>" : a.GetString(i)] = {n.Value(i), hi.GetString(i)};
      return rows;
    };
    EXPECT_EQ(sorted(*got->ToTable()), sorted(want)) << threads << " threads";
    EXPECT_EQ(want->num_rows(), 4);  // A, N, R, null
  }
}

}  // namespace
}  // namespace sabot
