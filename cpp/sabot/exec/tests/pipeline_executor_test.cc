// The executor: source order, interleaving, Pending sources, early stop, cancel,
// and aborting the sink on error.
#include "sabot/exec/pipeline_executor.h"

#include <thread>

#include <arrow/api.h>
#include <gtest/gtest.h>

namespace sabot {
namespace {

std::shared_ptr<arrow::Schema> Schema() { return arrow::schema({arrow::field("x", arrow::int64())}); }

std::shared_ptr<arrow::RecordBatch> Batch(int64_t first, int64_t n) {
  arrow::Int64Builder b;
  for (int64_t i = 0; i < n; ++i) EXPECT_TRUE(b.Append(first + i).ok());
  return arrow::RecordBatch::Make(Schema(), n, {*b.Finish()});
}

struct RangeSplit : SourceSplit {
  RangeSplit(int64_t first, int64_t batches) : first(first), batches(batches) {}
  std::string ToString() const override { return "range@" + std::to_string(first); }
  int64_t first, batches;
};

// Splits of `batches_per_split` 10-row batches; optionally Pending before each batch,
// or failing at a given batch.
class FakeSource final : public Source {
 public:
  FakeSource(int splits, int batches_per_split, bool pending_first = false, int fail_at = -1)
      : splits_(splits), per_split_(batches_per_split), pending_first_(pending_first), fail_at_(fail_at) {}
  std::string ToString() const override { return "Fake"; }
  const std::shared_ptr<arrow::Schema>& schema() const override { return schema_; }
  bool bounded() const override { return per_split_ >= 0; }
  Result<std::vector<std::shared_ptr<SourceSplit>>> Splits() override {
    std::vector<std::shared_ptr<SourceSplit>> out;
    for (int i = 0; i < splits_; ++i) out.push_back(std::make_shared<RangeSplit>(i * 1000, per_split_));
    return out;
  }
  Result<std::unique_ptr<SplitReader>> Open(const SourceSplit& split) override {
    return std::make_unique<Reader>(static_cast<const RangeSplit&>(split), this);
  }
  int produced = 0;

 private:
  struct Reader : SplitReader {
    Reader(const RangeSplit& s, FakeSource* src) : split(s), source(src) {}
    Result<SourcePoll> Next() override {
      if (split.batches >= 0 && next >= split.batches) return SourcePoll::Exhausted();
      if (source->pending_first_ && !waited) {
        waited = true;
        return SourcePoll::Pending(std::chrono::steady_clock::now() + std::chrono::milliseconds(1));
      }
      waited = false;
      if (source->produced == source->fail_at_) return Status::IOError("disk on fire");
      ++source->produced;
      return SourcePoll::Of(Message::Batch(Batch(split.first + 10 * next++, 10)));
    }
    RangeSplit split;
    FakeSource* source;
    int64_t next = 0;
    bool waited = false;
  };
  std::shared_ptr<arrow::Schema> schema_ = Schema();
  int splits_, per_split_;
  bool pending_first_;
  int fail_at_;
};

class RecordingSink final : public Sink {
 public:
  explicit RecordingSink(int stop_after_rows = -1) : Sink(Schema()), stop_after_(stop_after_rows) {}
  std::string_view name() const override { return "RecordingSink"; }
  Result<Flow> Push(int port, Message m) override {
    if (m.kind() == MessageKind::kEndOfStream) ++ends;
    if (m.is_batch()) {
      auto xs = std::static_pointer_cast<arrow::Int64Array>(m.batch()->column(0));
      for (int64_t i = 0; i < xs->length(); ++i) values.push_back(xs->Value(i));
    }
    if (stop_after_ >= 0 && static_cast<int>(values.size()) >= stop_after_) return Flow::kStop;
    return Flow::kContinue;
  }
  Status Abort() override {
    ++aborts;
    return Status::OK();
  }
  std::vector<int64_t> values;
  int ends = 0, aborts = 0;

 private:
  int stop_after_;
};

PhysicalPlan PlanOf(std::vector<std::shared_ptr<Source>> sources, std::unique_ptr<RecordingSink> sink) {
  PhysicalPlan plan;
  plan.sink = sink.get();
  for (auto& s : sources) plan.sources.push_back({s, sink.get(), 0});
  plan.operators.push_back(std::move(sink));
  return plan;
}

TEST(PipelineExecutor, ReadsSplitsInSourceOrder) {
  auto source = std::make_shared<FakeSource>(3, 2, /*pending_first=*/true);
  auto plan = PlanOf({source}, std::make_unique<RecordingSink>());
  auto* sink = static_cast<RecordingSink*>(plan.sink);
  auto stats = PipelineExecutor().Run(plan);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->source_rows, 60);
  EXPECT_EQ(stats->source_batches, 6);
  EXPECT_EQ(stats->splits, 3);
  ASSERT_EQ(sink->values.size(), 60u);
  // Split 0 rows 0..19, then split 1 rows 1000..1019, then split 2.
  EXPECT_EQ(sink->values[0], 0);
  EXPECT_EQ(sink->values[19], 19);
  EXPECT_EQ(sink->values[20], 1000);
  EXPECT_EQ(sink->values[59], 2019);
  EXPECT_EQ(sink->ends, 1);
  EXPECT_EQ(sink->aborts, 0);
}

TEST(PipelineExecutor, StopsAnUnboundedSourceWhenDownstreamIsSatisfied) {
  auto source = std::make_shared<FakeSource>(1, /*batches_per_split=*/-1);
  auto plan = PlanOf({source}, std::make_unique<RecordingSink>(/*stop_after_rows=*/35));
  ASSERT_TRUE(PipelineExecutor().Run(plan).ok());
  EXPECT_EQ(source->produced, 4);  // it stopped asking for more
}

TEST(PipelineExecutor, CancelStopsAndAborts) {
  auto source = std::make_shared<FakeSource>(1, -1, /*pending_first=*/true);
  auto plan = PlanOf({source}, std::make_unique<RecordingSink>());
  auto* sink = static_cast<RecordingSink*>(plan.sink);
  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    cancel = true;
  });
  auto stats = PipelineExecutor(&cancel).Run(plan);
  canceller.join();
  ASSERT_FALSE(stats.ok());
  EXPECT_TRUE(stats.status().IsCancelled());
  EXPECT_EQ(sink->aborts, 1);
  EXPECT_GT(source->produced, 0);
}

TEST(PipelineExecutor, SourceErrorAbortsSink) {
  auto source = std::make_shared<FakeSource>(2, 3, false, /*fail_at=*/4);
  auto plan = PlanOf({source}, std::make_unique<RecordingSink>());
  auto* sink = static_cast<RecordingSink*>(plan.sink);
  auto stats = PipelineExecutor().Run(plan);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().message(), "disk on fire");
  EXPECT_EQ(sink->aborts, 1);
  EXPECT_EQ(sink->ends, 0);
}

}  // namespace
}  // namespace sabot
