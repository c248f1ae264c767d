// Shared subplans: a filtered Parquet scan that several parents read is read once and
// held (on one thread as on many, with the same results); an unfiltered one, or one whose
// rows could pass the size bound, is read again by each parent.
#include <cstdint>

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>

#include "sabot/io/sink_factory.h"
#include "sabot/io/tests/read_all.h"
#include "sabot/plan/stream.h"
#include "sabot/runtime/run.h"
#include "sabot/runtime/shared_subplans.h"

namespace sabot {
namespace {

using ::sabot::testing::TempDir;

constexpr int64_t kRows = 200'000;

// kRows rows in 20K-row row groups (10 splits): k = i % 50000, v = i.
std::string WriteInput(const TempDir& dir) {
  arrow::Int64Builder k, v;
  for (int64_t i = 0; i < kRows; ++i) {
    EXPECT_TRUE(k.Append(i % 50'000).ok());
    EXPECT_TRUE(v.Append(i).ok());
  }
  auto table = arrow::Table::Make(arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::int64())}),
                                  {*k.Finish(), *v.Finish()});
  const std::string path = dir.File("t.parquet");
  auto out = *arrow::io::FileOutputStream::Open(path);
  EXPECT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, 20'000).ok());
  EXPECT_TRUE(out->Close().ok());
  return path;
}

const OperatorStats& Step(const std::vector<OperatorStats>& steps, const std::string& prefix) {
  for (const auto& s : steps) {
    if (s.label.rfind(prefix, 0) == 0) return s;
  }
  ADD_FAILURE() << "no step " << prefix;
  return steps.front();
}

Expr BitAnd(Expr e, int64_t mask) { return Expr::Call("bit_wise_and", {std::move(e), lit(mask)}); }

// `shared` joined with itself (renamed), then counted and summed: both sides read it.
PlanPtr SelfJoin(const Stream& shared) {
  auto others = shared.Rename({{"k", "k2"}, {"v", "v2"}});
  return shared.Join(others, {"k"}, {"k2"}, JoinType::kInner)
      .Aggregate({}, {{AggregateFunction::kCountAll, "", "n"}, {AggregateFunction::kSum, "v2", "s"}})
      .Collect();
}

// Runs `plan` on 1, 2 and 8 threads: the same result each time, and the rows the first
// step labelled `step` took in (the same each time too), returned.
int64_t RowsInOnEveryThreadCount(const PlanPtr& plan, const std::string& step,
                                 std::shared_ptr<arrow::Table>* result) {
  int64_t rows_in = -1;
  for (int threads : {1, 2, 8}) {
    SCOPED_TRACE(threads);
    RunOptions options;
    options.threads = threads;
    auto run = RunPlan(*plan, options);
    EXPECT_TRUE(run.ok()) << run.status().ToString();
    if (!run.ok()) return -1;
    auto table = run->ToTable();
    EXPECT_TRUE(table.ok());
    auto combined = (*table)->CombineChunks();
    EXPECT_TRUE(combined.ok());
    if (*result == nullptr) *result = *combined;
    EXPECT_TRUE((*combined)->Equals(**result)) << (*combined)->ToString() << " vs " << (*result)->ToString();
    const int64_t in = Step(run->operators, step).rows_in;
    if (rows_in >= 0) {
      EXPECT_EQ(in, rows_in);
    }
    rows_in = in;
  }
  return rows_in;
}

TEST(SharedSubplans, FilteredScanReadByTwoParentsIsReadOnce) {
  TempDir dir;
  const std::string path = WriteInput(dir);
  // Keeps i % 4 == 0: 50K rows, the keys 0, 4, ..., 49996 four times each.
  auto late = Stream::ReadParquet(path).Filter(BitAnd(col("v"), 3) == lit(int64_t{0})).Select({"k", "v"});
  std::shared_ptr<arrow::Table> result;
  EXPECT_EQ(RowsInOnEveryThreadCount(SelfJoin(late), "Filter", &result), kRows);
  ASSERT_NE(result, nullptr);
  ASSERT_EQ(result->num_rows(), 1);
  // 12500 keys, 4 x 4 pairs each.
  EXPECT_EQ(std::static_pointer_cast<arrow::Int64Array>(result->column(0)->chunk(0))->Value(0), 200'000);
}

TEST(SharedSubplans, UnfilteredScanIsReadAgainByEachParent) {
  TempDir dir;
  const std::string path = WriteInput(dir);
  // Every row: holding it would keep the whole table for a decode saved.
  auto all = Stream::ReadParquet(path).WithColumn("v", col("v") + lit(int64_t{1}));
  std::shared_ptr<arrow::Table> result;
  EXPECT_EQ(RowsInOnEveryThreadCount(SelfJoin(all), "WithColumns", &result), 2 * kRows);
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(std::static_pointer_cast<arrow::Int64Array>(result->column(0)->chunk(0))->Value(0), 50'000 * 16);  // 4 x 4 pairs per key
}

TEST(SharedSubplans, FilteredScanIsHeldOnlyWithinTheSizeBound) {
  TempDir dir;
  const std::string path = WriteInput(dir);
  PlanPtr scan = Stream::ReadParquet(path).Filter(col("v") < lit(int64_t{10})).node();
  SinkOutput output;
  SinkSpec collect;
  collect.kind = SinkSpec::Kind::kCollect;
  auto lowered = LowerPlanWithSink(*scan, [&](const std::shared_ptr<arrow::Schema>& schema) {
    return MakeSink(collect, schema, &output);
  });
  ASSERT_TRUE(lowered.ok()) << lowered.status().ToString();
  // The bound counts every source row (two int64 columns, 16 bytes), whatever the
  // filter keeps: 10 rows pass here, yet a bound below the whole file streams.
  EXPECT_TRUE(HoldsSharedScan(*scan, *lowered, kRows * 16));
  EXPECT_FALSE(HoldsSharedScan(*scan, *lowered, kRows * 16 - 1));
  EXPECT_TRUE(HoldsSharedScan(*scan, *lowered));
  // Its source alone (no filter) is never held.
  EXPECT_FALSE(HoldsSharedScan(*scan->input(), *lowered));
}

}  // namespace
}  // namespace sabot
