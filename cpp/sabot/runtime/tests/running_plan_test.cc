// RunningPlan: streaming results to a consumer, backpressure, cancellation, errors;
// and RunPlan over the builder API end to end.
#include "sabot/runtime/running_plan.h"

#include <poll.h>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/plan/stream.h"
#include "sabot/runtime/run.h"

namespace sabot {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<arrow::Table> Numbers(int64_t n) {
  arrow::Int64Builder b;
  for (int64_t i = 0; i < n; ++i) EXPECT_TRUE(b.Append(i).ok());
  return arrow::Table::Make(arrow::schema({arrow::field("x", arrow::int64())}), {*b.Finish()});
}

TEST(RunningPlan, StreamsEveryBatchThenEnds) {
  auto stream = Stream::FromTable(Numbers(200'000)).Filter(col("x") >= lit(int64_t{1000}));
  auto running = RunningPlan::Start(stream.node());
  ASSERT_TRUE(running.ok()) << running.status().ToString();
  EXPECT_EQ((*running)->schema()->field(0)->name(), "x");
  int64_t rows = 0, sum = 0;
  for (;;) {
    auto poll = (*running)->Next(1000ms);
    ASSERT_TRUE(poll.ok()) << poll.status().ToString();
    if (poll->state == RunningPlan::State::kEnd) break;
    if (poll->state == RunningPlan::State::kPending) continue;
    auto xs = std::static_pointer_cast<arrow::Int64Array>(poll->batch->column(0));
    for (int64_t i = 0; i < xs->length(); ++i) sum += xs->Value(i);
    rows += xs->length();
  }
  EXPECT_EQ(rows, 199'000);
  EXPECT_EQ(sum, (199'999LL * 200'000 / 2) - (999LL * 1000 / 2));
}

TEST(RunningPlan, CancelStopsAnUnboundedJob) {
  GeneratorOptions g;
  g.rows = -1;
  g.batch_size = 1000;
  auto running = RunningPlan::Start(Stream::Generate(g).node(), {/*queue_batches=*/2});
  ASSERT_TRUE(running.ok()) << running.status().ToString();
  auto first = (*running)->Next(5000ms);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->state, RunningPlan::State::kBatch);
  // The engine is now blocked on the full queue (backpressure); cancel must free it.
  (*running)->Cancel();
  (*running)->Join();
  Result<RunningPlan::Poll> poll;
  do {
    poll = (*running)->Next(0ms);
  } while (poll.ok() && poll->state == RunningPlan::State::kBatch);
  ASSERT_FALSE(poll.ok());
  EXPECT_TRUE(poll.status().IsCancelled());
}

TEST(RunningPlan, NotifyFdBecomesReadable) {
  auto running = RunningPlan::Start(Stream::FromTable(Numbers(10)).node());
  ASSERT_TRUE(running.ok());
  pollfd pfd{(*running)->notify_fd(), POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 5000), 1);
  auto first = (*running)->Next(0ms);
  ASSERT_TRUE(first.ok());
  EXPECT_NE(first->state, RunningPlan::State::kPending);
}

TEST(RunningPlan, ErrorsReachTheConsumer) {
  auto table = Numbers(10);
  auto bad = Stream::FromTable(table).WithColumn("y", col("x") * lit(std::numeric_limits<int64_t>::max()));
  auto running = RunningPlan::Start(bad.node());
  ASSERT_TRUE(running.ok());
  Result<RunningPlan::Poll> poll;
  do {
    poll = (*running)->Next(1000ms);
  } while (poll.ok() && poll->state != RunningPlan::State::kEnd);
  ASSERT_FALSE(poll.ok());
  EXPECT_NE(poll.status().message().find("overflow"), std::string::npos) << poll.status().ToString();

  auto unknown = RunningPlan::Start(Stream::FromTable(table).Select({"nope"}).node());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "in project: column 'nope' does not exist; the columns are: x");
}

TEST(RunPlan, LimitEndsAnUnboundedGenerator) {
  GeneratorOptions g;
  g.rows = -1;
  g.batch_size = 100;
  auto result = RunPlan(*Stream::Generate(g).Limit(250, 10).Collect());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  auto table = *result->ToTable();
  ASSERT_EQ(table->num_rows(), 250);
  auto ids = std::static_pointer_cast<arrow::Int64Array>((*table->CombineChunks())->GetColumnByName("id")->chunk(0));
  EXPECT_EQ(ids->Value(0), 10);
  EXPECT_EQ(ids->Value(249), 259);
}

TEST(RunPlan, PlanMustEndInASink) {
  auto result = RunPlan(*Stream::FromTable(Numbers(3)).node());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("a plan must end in a sink"), std::string::npos);
}

TEST(PlanProperties, Boundedness) {
  GeneratorOptions unbounded;
  unbounded.rows = -1;
  EXPECT_TRUE(IsBounded(*Stream::FromTable(Numbers(3)).node()));
  EXPECT_FALSE(IsBounded(*Stream::Generate(unbounded).Filter(lit(true)).node()));
  EXPECT_TRUE(IsBounded(*Stream::Generate(unbounded).Limit(5).node()));
  EXPECT_FALSE(IsBounded(*Stream::FromTable(Numbers(3)).Union(Stream::Generate(unbounded).Select({"id"})).node()));
}

}  // namespace
}  // namespace sabot
