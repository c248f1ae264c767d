// A filter right over a Parquet source is evaluated in the scan (ParquetSource::FilterRows):
// no Filter operator is lowered, the columns the predicate does not read are decoded at
// the rows that pass only, and the answers on 1, 2 and 8 threads are the ones the Filter
// operator gives over the same rows in memory, for every way a column is read (plain and
// dictionary pages, strings kept as dictionaries or expanded, nullable columns through
// Arrow's reader), for predicates no row, some rows and every row passes.
#include <algorithm>
#include <random>

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>
#include <parquet/properties.h>

#include "sabot/io/tests/read_all.h"
#include "sabot/ops/filter.h"
#include "sabot/plan/stream.h"
#include "sabot/runtime/physical_planner.h"
#include "sabot/runtime/run.h"

namespace sabot {
namespace {

using ::sabot::testing::TempDir;

// 30K rows in 3 row groups: `id` 0.. (plain pages), `k` 0..9 (dictionary pages), `n` with
// nulls, `s` a few strings (small dictionary), `t` mostly distinct strings, `d` dates, `u`
// strings of 0 to 39 bytes on plain pages.
std::shared_ptr<arrow::Table> Input() {
  std::mt19937 rng(11);
  const char* words[] = {"a", "b", "c", "d"};
  arrow::Int64Builder id, n;
  arrow::Int32Builder k;
  arrow::StringBuilder s, t, u;
  arrow::Date32Builder d;
  for (int i = 0; i < 30'000; ++i) {
    EXPECT_TRUE(id.Append(i).ok());
    EXPECT_TRUE(k.Append(static_cast<int32_t>(rng() % 10)).ok());
    EXPECT_TRUE((i % 7 == 0 ? n.AppendNull() : n.Append(static_cast<int64_t>(rng() % 20))).ok());
    EXPECT_TRUE(s.Append(words[rng() % 4]).ok());
    EXPECT_TRUE(t.Append("t" + std::to_string(rng() % 100'000)).ok());
    EXPECT_TRUE(d.Append(static_cast<int32_t>(9000 + rng() % 1000)).ok());
    EXPECT_TRUE(u.Append(std::string(rng() % 40, static_cast<char>('a' + rng() % 26))).ok());
  }
  auto schema = arrow::schema({arrow::field("id", arrow::int64(), false), arrow::field("k", arrow::int32(), false),
                               arrow::field("n", arrow::int64()), arrow::field("s", arrow::utf8(), false),
                               arrow::field("t", arrow::utf8(), false), arrow::field("d", arrow::date32(), false),
                               arrow::field("u", arrow::utf8(), false)});
  return arrow::Table::Make(schema, {*id.Finish(), *k.Finish(), *n.Finish(), *s.Finish(), *t.Finish(), *d.Finish(),
                                     *u.Finish()});
}

std::string Write(const arrow::Table& table, const TempDir& dir) {
  const std::string path = dir.File("t.parquet");
  auto out = *arrow::io::FileOutputStream::Open(path);
  auto props = parquet::WriterProperties::Builder().disable_dictionary("id")->disable_dictionary("u")->build();
  EXPECT_TRUE(parquet::arrow::WriteTable(table, arrow::default_memory_pool(), out, 10'000, props).ok());
  EXPECT_TRUE(out->Close().ok());
  return path;
}

std::shared_ptr<arrow::Table> Collected(const RunResult& result) {
  auto table = arrow::Table::FromRecordBatches(result.schema, result.collected);
  EXPECT_TRUE(table.ok()) << table.status().ToString();
  return *(*table)->CombineChunks();
}

int FilterOperators(const PlanNode& plan) {
  SinkOutput output;
  auto lowered = LowerPlan(plan, &output);
  EXPECT_TRUE(lowered.ok()) << lowered.status().ToString();
  if (!lowered.ok()) return -1;
  int filters = 0;
  for (const auto& op : lowered->physical.operators) filters += dynamic_cast<FilterOperator*>(op.get()) != nullptr;
  return filters;
}

struct Case {
  const char* what;
  Expr predicate;
  int64_t rows;  // that pass
};

TEST(FilterInScan, SameRowsAsTheFilterOperator) {
  TempDir dir;
  auto table = Input();
  const std::string path = Write(*table, dir);
  const std::vector<Case> cases = {
      {"dictionary int column", col("k") == lit(int32_t{3}), -1},
      {"first half of the first row group only", col("id") < lit(int64_t{5000}), 5000},
      {"none", col("id") < lit(int64_t{0}), 0},
      {"all", col("id") >= lit(int64_t{0}), 30'000},
      {"string tested per dictionary entry and a nullable column", col("s") == lit("b") && col("n") > lit(int64_t{10}), -1},
      {"two string columns compared", col("t") > col("s") && col("k") < lit(int32_t{5}), -1},
      {"mostly distinct strings", col("t") < lit("t2"), -1},
      {"strings on plain pages", col("u") > lit("p"), -1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto plan = Stream::ReadParquet(path).Filter(c.predicate).Collect();
    EXPECT_EQ(FilterOperators(*plan), 0);
    auto in_memory = Stream::FromTable(table).Filter(c.predicate).Collect();
    EXPECT_EQ(FilterOperators(*in_memory), 1);
    RunOptions options;
    auto want = RunPlan(*in_memory, options);
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    auto want_table = Collected(*want);
    if (c.rows >= 0) {
      EXPECT_EQ(want_table->num_rows(), c.rows);
    }
    for (int threads : {1, 2, 8}) {
      options.threads = threads;
      auto got = RunPlan(*plan, options);
      ASSERT_TRUE(got.ok()) << threads << " threads: " << got.status().ToString();
      auto got_table = Collected(*got);
      // Source order is kept (the default), so the rows line up one to one.
      EXPECT_TRUE(got_table->Equals(*want_table, /*check_metadata=*/false))
          << threads << " threads\n" << got_table->ToString().substr(0, 2000) << "\nwant\n"
          << want_table->ToString().substr(0, 2000);
    }
  }
}

TEST(FilterInScan, UnderAProjectionAndAnAggregate) {
  TempDir dir;
  auto table = Input();
  const std::string path = Write(*table, dir);
  const AggregateSpec count{AggregateFunction::kCountAll, "", "rows"};
  const AggregateSpec total{AggregateFunction::kSum, "id", "ids"};
  auto build = [&](Stream stream) {
    return stream.Filter(col("k") < lit(int32_t{4}) && col("s") == lit("c"))
        .Project({{"s", col("s")}, {"id", col("id")}})
        .Aggregate({"s"}, {count, total})
        .Collect();
  };
  RunOptions options;
  auto want = RunPlan(*build(Stream::FromTable(table)), options);
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  for (int threads : {1, 2, 8}) {
    options.threads = threads;
    auto got = RunPlan(*build(Stream::ReadParquet(path)), options);
    ASSERT_TRUE(got.ok()) << threads << " threads: " << got.status().ToString();
    EXPECT_TRUE(Collected(*got)->Equals(*Collected(*want), false)) << threads << " threads";
  }
}

// Row groups whose statistics rule the predicate out are not read (RowGroupPruning):
// `id` is sorted, so of its three row groups of 10K a range of ids reads one or two; the
// filter's step counts the rest as skipped, not as rows in, and the answer is the
// in-memory filter's. A predicate on an unsorted column (k, 0..9 in every row group)
// skips nothing.
TEST(FilterInScan, RowGroupsTheStatisticsRuleOutAreSkipped) {
  TempDir dir;
  auto table = Input();
  const std::string path = Write(*table, dir);
  struct Pruned {
    const char* what;
    Expr predicate;
    int64_t skipped;
  };
  const std::vector<Pruned> cases = {
      {"first row group", col("id") < lit(int64_t{5000}), 20'000},
      {"last two", col("id") >= lit(int64_t{12'000}) && col("k") < lit(int32_t{5}), 10'000},
      {"none passes", col("id") > lit(int64_t{40'000}), 30'000},
      {"unsorted column", col("k") > lit(int32_t{8}), 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    RunOptions options;
    auto want = RunPlan(*Stream::FromTable(table).Filter(c.predicate).Collect(), options);
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    for (int threads : {1, 2, 8}) {
      options.threads = threads;
      auto got = RunPlan(*Stream::ReadParquet(path).Filter(c.predicate).Collect(), options);
      ASSERT_TRUE(got.ok()) << threads << " threads: " << got.status().ToString();
      EXPECT_TRUE(Collected(*got)->Equals(*Collected(*want), false)) << threads << " threads";
      const OperatorStats* filter = nullptr;
      for (const auto& step : got->operators) {
        if (step.label.rfind("Filter", 0) == 0) filter = &step;
      }
      ASSERT_NE(filter, nullptr);
      EXPECT_EQ(filter->skipped_rows, c.skipped) << threads << " threads";
      EXPECT_EQ(filter->rows_in, 30'000 - c.skipped) << threads << " threads";
      if (c.skipped > 0) {
        EXPECT_NE(FormatOperatorStats(got->operators).find("skipped rows"), std::string::npos);
      }
    }
  }
}

// The rows of `table` as sorted strings: joins on several threads emit in any order.
std::vector<std::string> SortedRows(const arrow::Table& table) {
  std::vector<std::string> rows;
  auto batch = *table.CombineChunksToBatch();
  for (int64_t i = 0; i < batch->num_rows(); ++i) {
    std::string row;
    for (const auto& column : batch->columns()) row += (*column->GetScalar(i))->ToString() + "|";
    rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

// A build side of 300 keys (multiples of 97 and a few absent ones) probed by the 30K
// rows: the scan drops the probe rows without a match where the join drops them too
// (inner, semi, right semi, right anti) and keeps them where the join emits them (left,
// anti), also when a projection renames the key on the way (the scan tests its own
// column). Every answer equals the same join probed from memory.
TEST(FilterInScan, JoinKeysTestedInTheScan) {
  TempDir dir;
  auto table = Input();
  const std::string path = Write(*table, dir);
  arrow::Int64Builder key;
  arrow::StringBuilder label;
  for (int64_t i = 0; i < 300; ++i) {
    ASSERT_TRUE(key.Append(i < 290 ? i * 97 : 1'000'000 + i).ok());
    ASSERT_TRUE(label.Append("k" + std::to_string(i)).ok());
  }
  auto build = arrow::Table::Make(arrow::schema({arrow::field("key", arrow::int64()), arrow::field("label", arrow::utf8())}),
                                  {*key.Finish(), *label.Finish()});
  for (JoinType type : {JoinType::kInner, JoinType::kSemi, JoinType::kRightSemi, JoinType::kRightAnti, JoinType::kLeft,
                        JoinType::kAnti}) {
   for (bool renamed : {false, true}) {
    SCOPED_TRACE(std::string(ToString(type)) + (renamed ? " renamed" : ""));
    auto plan_over = [&](Stream probe) {
      probe = probe.Filter(col("k") != lit(int32_t{7}));
      if (renamed) probe = probe.Project({{"pid", col("id")}, {"s", col("s")}, {"twice", col("n") * lit(int64_t{2})}});
      return probe.Join(Stream::FromTable(build, "build"), {renamed ? "pid" : "id"}, {"key"}, type).Collect();
    };
    RunOptions options;
    auto want = RunPlan(*plan_over(Stream::FromTable(table)), options);
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    const auto want_rows = SortedRows(*Collected(*want));
    ASSERT_GT(want_rows.size(), 0u);
    for (int threads : {1, 2, 8}) {
      options.threads = threads;
      auto got = RunPlan(*plan_over(Stream::ReadParquet(path)), options);
      ASSERT_TRUE(got.ok()) << threads << " threads: " << got.status().ToString();
      EXPECT_EQ(SortedRows(*Collected(*got)), want_rows) << threads << " threads";
    }
   }
  }
}

// A build side whose keys all lie in 12000-12495 joined with the sorted ids of three row
// groups of 10K: the joins that drop unmatched probe rows read the middle row group only
// (the other two are the join step's skipped rows); left and anti joins, which emit them,
// read all three, on any number of threads (the build side runs first on one thread
// too). Every answer equals the join probed from memory.
TEST(FilterInScan, RowGroupsOutsideTheBuildKeysAreSkipped) {
  TempDir dir;
  auto table = Input();
  const std::string path = Write(*table, dir);
  arrow::Int64Builder key;
  for (int64_t i = 0; i < 100; ++i) ASSERT_TRUE(key.Append(12'000 + 5 * i).ok());
  auto build = arrow::Table::Make(arrow::schema({arrow::field("key", arrow::int64())}), {*key.Finish()});
  for (JoinType type : {JoinType::kInner, JoinType::kSemi, JoinType::kRightSemi, JoinType::kRightAnti, JoinType::kLeft,
                        JoinType::kAnti}) {
    SCOPED_TRACE(ToString(type));
    auto plan_over = [&](Stream probe) {
      return probe.Join(Stream::FromTable(build, "build"), {"id"}, {"key"}, type).Collect();
    };
    RunOptions options;
    auto want = RunPlan(*plan_over(Stream::FromTable(table)), options);
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    const auto want_rows = SortedRows(*Collected(*want));
    const bool drops_unmatched = type != JoinType::kLeft && type != JoinType::kAnti;
    for (int threads : {1, 2, 8}) {
      options.threads = threads;
      auto got = RunPlan(*plan_over(Stream::ReadParquet(path)), options);
      ASSERT_TRUE(got.ok()) << threads << " threads: " << got.status().ToString();
      EXPECT_EQ(SortedRows(*Collected(*got)), want_rows) << threads << " threads";
      int64_t skipped = 0;
      for (const auto& step : got->operators) skipped += step.skipped_rows;
      EXPECT_EQ(skipped, drops_unmatched ? 20'000 : 0) << threads << " threads";
    }
  }
}

TEST(FilterInScan, AnUnknownColumnIsTheFilterError) {
  TempDir dir;
  const std::string path = Write(*Input(), dir);
  auto plan = Stream::ReadParquet(path).Filter(col("nope") > lit(int64_t{1})).Collect();
  RunOptions options;
  auto got = RunPlan(*plan, options);
  ASSERT_FALSE(got.ok());
  EXPECT_HAS_SUBSTR(got.status().message(), "nope");
  EXPECT_HAS_SUBSTR(got.status().message(), "filter");
}

}  // namespace
}  // namespace sabot
