// The morsel executor: output in split order whatever the finishing order, one
// EndOfStream, the first failing split's error with the sink aborted, cancellation,
// bounded buffering, and a many-tiny-morsels stress run.
#include "sabot/exec/morsel_executor.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <latch>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/exec/task_pool.h"

namespace sabot {
namespace {

std::shared_ptr<arrow::Schema> Schema() { return arrow::schema({arrow::field("x", arrow::int64())}); }

std::shared_ptr<arrow::RecordBatch> Batch(int64_t first, int64_t n) {
  arrow::Int64Builder b;
  for (int64_t i = 0; i < n; ++i) EXPECT_TRUE(b.Append(first + i).ok());
  return arrow::RecordBatch::Make(Schema(), n, {*b.Finish()});
}

struct RangeSplit : SourceSplit {
  explicit RangeSplit(int index) : index(index) {}
  std::string ToString() const override { return "split " + std::to_string(index); }
  int index;
};

// Split i yields `batches` batches of `rows` rows numbered from i * 1'000'000, each
// followed by a watermark; reading sleeps a random while so splits finish out of order.
class FakeSource final : public Source {
 public:
  FakeSource(int splits, int batches, int64_t rows, int max_delay_us = 200)
      : splits_(splits), batches_(batches), rows_(rows), max_delay_us_(max_delay_us) {}
  std::string ToString() const override { return "Fake"; }
  const std::shared_ptr<arrow::Schema>& schema() const override { return schema_; }
  Result<std::vector<std::shared_ptr<SourceSplit>>> Splits() override {
    std::vector<std::shared_ptr<SourceSplit>> out;
    for (int i = 0; i < splits_; ++i) out.push_back(std::make_shared<RangeSplit>(i));
    return out;
  }
  Result<std::unique_ptr<SplitReader>> Open(const SourceSplit& split) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++opened_;
    }
    return std::make_unique<Reader>(static_cast<const RangeSplit&>(split).index, this);
  }
  int opened() {
    std::lock_guard<std::mutex> lock(mutex_);
    return opened_;
  }

 private:
  struct Reader : SplitReader {
    Reader(int index, FakeSource* src) : index(index), source(src), rng(static_cast<unsigned>(index)) {}
    Result<SourcePoll> Next() override {
      if (next == 2 * source->batches_) return SourcePoll::Exhausted();
      if (source->max_delay_us_ > 0) {
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % static_cast<unsigned>(source->max_delay_us_)));
      }
      const int i = next++;
      if (i % 2 == 1) return SourcePoll::Of(Message::Watermark(index * 1000 + i));
      return SourcePoll::Of(Message::Batch(Batch(index * int64_t{1'000'000} + (i / 2) * source->rows_, source->rows_)));
    }
    int index;
    int next = 0;
    FakeSource* source;
    std::minstd_rand rng;
  };
  std::shared_ptr<arrow::Schema> schema_ = Schema();
  int splits_, batches_;
  int64_t rows_;
  int max_delay_us_;
  std::mutex mutex_;
  int opened_ = 0;
};

// Doubles x; fails on the value `fail_on`.
class Double final : public BatchTransform {
 public:
  explicit Double(int64_t fail_on) : BatchTransform(Schema()), fail_on_(fail_on) {}
  std::string_view name() const override { return "Double"; }

 protected:
  Result<std::shared_ptr<arrow::RecordBatch>> Transform(const std::shared_ptr<arrow::RecordBatch>& batch) override {
    const auto& x = static_cast<const arrow::Int64Array&>(*batch->column(0));
    arrow::Int64Builder b;
    for (int64_t i = 0; i < x.length(); ++i) {
      if (x.Value(i) == fail_on_) return Status::Invalid("bad value ", fail_on_);
      ARROW_RETURN_NOT_OK(b.Append(2 * x.Value(i)));
    }
    ARROW_ASSIGN_OR_RAISE(auto out, b.Finish());
    return arrow::RecordBatch::Make(Schema(), batch->num_rows(), {out});
  }

 private:
  int64_t fail_on_;
};

OperatorChainFactory Doubler(int64_t fail_on = -1) {
  return [fail_on]() -> Result<OperatorChain> {
    OperatorChain chain;
    chain.operators.push_back(std::make_unique<Double>(fail_on));
    chain.head = chain.tail = chain.operators.back().get();
    return chain;
  };
}

// Records what reaches it; optionally checks a source's progress against the window.
class RecordingSink final : public Sink {
 public:
  RecordingSink() : Sink(Schema()) {}
  std::string_view name() const override { return "Recording"; }
  Result<Flow> Push(int, Message m) override {
    if (m.is_batch()) {
      const auto& x = static_cast<const arrow::Int64Array&>(*m.batch()->column(0));
      for (int64_t i = 0; i < x.length(); ++i) values.push_back(x.Value(i));
      if (source) max_ahead = std::max(max_ahead, source->opened() - ++batches_seen);
    } else {
      ++controls;
      eos += m.kind() == MessageKind::kEndOfStream;
    }
    return Flow::kContinue;
  }
  Status Abort() override {
    aborted = true;
    values.clear();
    return Status::OK();
  }
  std::vector<int64_t> values;
  int controls = 0, eos = 0;
  bool aborted = false;
  FakeSource* source = nullptr;  // with one batch per split: splits opened vs emitted
  int batches_seen = 0, max_ahead = 0;
};

std::vector<int64_t> Expected(int splits, int batches, int64_t rows) {
  std::vector<int64_t> out;
  for (int s = 0; s < splits; ++s) {
    for (int64_t r = 0; r < batches * rows; ++r) out.push_back(2 * (s * int64_t{1'000'000} + r));
  }
  return out;
}

// Fails splits 3 (late) and 4 (at once): a run must report split 3's error.
class FailTwice final : public BatchTransform {
 public:
  FailTwice() : BatchTransform(Schema()) {}
  std::string_view name() const override { return "FailTwice"; }

 protected:
  Result<std::shared_ptr<arrow::RecordBatch>> Transform(const std::shared_ptr<arrow::RecordBatch>& b) override {
    const int64_t first = static_cast<const arrow::Int64Array&>(*b->column(0)).Value(0);
    if (first == 3'000'000) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return Status::Invalid("split 3");
    }
    if (first == 4'000'000) return Status::Invalid("split 4");
    return b;
  }
};

Result<OperatorChain> FailTwiceChain() {
  OperatorChain c;
  c.operators.push_back(std::make_unique<FailTwice>());
  c.head = c.tail = c.operators.back().get();
  return c;
}

TEST(TaskPool, RunsEverySubmittedTaskOnAWorker) {
  TaskPool pool(3);
  std::atomic<int> sum{0};
  std::atomic<bool> bad_worker{false};
  for (int i = 0; i < 1000; ++i) {
    pool.Submit([&, i](int w) {
      if (w < 0 || w >= 3) bad_worker = true;
      sum += i;
    });
  }
  pool.WaitIdle();
  EXPECT_EQ(sum.load(), 999 * 1000 / 2);
  EXPECT_FALSE(bad_worker.load());
}

TEST(RunClaimed, RunsEveryTaskOnceAndAStalledThreadTakesFewer) {
  constexpr int64_t kTasks = 200;
  std::vector<std::atomic<int>> runs(kTasks);
  std::vector<std::thread::id> ran_on(kTasks);
  RunClaimed(2, kTasks, [&](int64_t task) {
    // The thread that claims task 0 stalls until the other has run the rest.
    if (task == 0) {
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (runs[kTasks - 1].load() == 0 && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    runs[task].fetch_add(1);
    ran_on[task] = std::this_thread::get_id();
  });
  int64_t on_stalled = 0;
  for (int64_t t = 0; t < kTasks; ++t) {
    EXPECT_EQ(runs[t].load(), 1) << "task " << t;
    on_stalled += ran_on[t] == ran_on[0];
  }
  EXPECT_EQ(on_stalled, 1);
  // One worker: every task in order on the calling thread.
  std::vector<int64_t> order;
  RunClaimed(1, 5, [&](int64_t task) { order.push_back(task); });
  EXPECT_EQ(order, (std::vector<int64_t>{0, 1, 2, 3, 4}));
}

TEST(RunOnWorkers, WorkerZeroIsTheCallerAndTheOthersRunAtOnceOnParkedThreads) {
  constexpr int kWorkers = 4;
  auto run = [&] {
    std::vector<std::thread::id> ids(kWorkers);
    // Every worker waits for all the others: they must run at the same time, each on its
    // own thread.
    std::latch all_started(kWorkers);
    RunOnWorkers(kWorkers, [&](int w) {
      ids[w] = std::this_thread::get_id();
      all_started.arrive_and_wait();
    });
    return ids;
  };
  const auto first = run();
  EXPECT_EQ(first[0], std::this_thread::get_id());
  EXPECT_EQ(std::set<std::thread::id>(first.begin(), first.end()).size(), static_cast<size_t>(kWorkers));
  EXPECT_GE(ParkedThreadsForTesting(), kWorkers - 1);  // back in the cache on return
  const auto second = run();
  // The second call ran on the threads the first parked.
  EXPECT_EQ(std::set<std::thread::id>(second.begin() + 1, second.end()),
            std::set<std::thread::id>(first.begin() + 1, first.end()));
}

TEST(TaskPool, ReusesParkedThreads) {
  std::set<std::thread::id> first, second;
  std::mutex mutex;
  auto run = [&](std::set<std::thread::id>* ids) {
    TaskPool pool(4);
    // Four tasks that wait for each other: each of the four threads runs one, so the set
    // holds every thread of the pool, however the OS schedules them.
    std::latch all_started(4);
    for (int i = 0; i < 4; ++i) {
      pool.Submit([&, ids](int) {
        {
          std::lock_guard<std::mutex> lock(mutex);
          ids->insert(std::this_thread::get_id());
        }
        all_started.arrive_and_wait();
      });
    }
    pool.WaitIdle();
  };
  run(&first);
  EXPECT_EQ(first.size(), 4u);
  EXPECT_GE(ParkedThreadsForTesting(), 4);  // the pool's threads parked, not ended
  run(&second);
  // The second pool ran on the threads the first one parked (the latest parked go first).
  EXPECT_EQ(second, first);
}

// Parked threads hand their allocator's retained memory back once they have idled for
// kParkedThreadReleasesMemory, and then serve the next pool as usual.
TEST(TaskPool, ParkedThreadsReleaseMemoryWhenIdle) {
  auto run_pool = [] {
    TaskPool pool(2);
    std::atomic<int64_t> sum{0};
    for (int i = 0; i < 100; ++i) {
      pool.Submit([&, i](int) {
        std::vector<int64_t> scratch(10'000, i);  // memory for the allocator to keep
        sum += scratch.back();
      });
    }
    pool.WaitIdle();
    return sum.load();
  };
  const int64_t before = ParkedMemoryReleasesForTesting();
  EXPECT_EQ(run_pool(), 99 * 100 / 2);
  // Generous: the release follows kParkedThreadReleasesMemory of idling, but a loaded CI machine is slow.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (ParkedMemoryReleasesForTesting() == before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GT(ParkedMemoryReleasesForTesting(), before);
  EXPECT_EQ(run_pool(), 99 * 100 / 2);  // released threads still take work
}

TEST(MorselExecutor, KeepsSplitOrderAndSendsOneEndOfStream) {
  for (int threads : {1, 2, 8}) {
    FakeSource source(40, 3, 100);
    RecordingSink sink;
    auto stats = MorselExecutor({threads}).Run(source, Doubler(), sink);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    EXPECT_EQ(sink.values, Expected(40, 3, 100)) << threads << " threads";
    EXPECT_EQ(sink.eos, 1);
    EXPECT_EQ(sink.controls, 1);  // the watermarks of a bounded source are dropped
    EXPECT_EQ(stats->splits, 40);
    EXPECT_EQ(stats->source_rows, 40 * 3 * 100);
    EXPECT_EQ(stats->source_batches, 40 * 3);
  }
}

TEST(MorselExecutor, RunsWithoutOperators) {
  FakeSource source(10, 2, 5);
  RecordingSink sink;
  auto no_ops = []() -> Result<OperatorChain> { return OperatorChain{}; };
  ASSERT_TRUE(MorselExecutor({4}).Run(source, no_ops, sink).ok());
  auto want = Expected(10, 2, 5);
  for (auto& v : want) v /= 2;
  EXPECT_EQ(sink.values, want);
}

TEST(MorselExecutor, AFailingSplitFailsTheRunAndAbortsTheSink) {
  // Split 25's second batch fails; later splits may be running and are cancelled.
  FakeSource source(60, 3, 100);
  RecordingSink sink;
  auto stats = MorselExecutor({8}).Run(source, Doubler(25 * 1'000'000 + 150), sink);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().message(), "bad value 25000150");
  EXPECT_TRUE(sink.aborted);
  EXPECT_EQ(sink.eos, 0);
  EXPECT_LT(source.opened(), 60);
}

TEST(MorselExecutor, ReportsTheFirstFailingSplitInSourceOrder) {
  // Two splits fail; whichever fails first in time, the earlier split's error wins.
  for (int attempt = 0; attempt < 3; ++attempt) {
    FakeSource source(10, 1, 10, 0);
    RecordingSink sink;
    auto stats = MorselExecutor({4}).Run(source, FailTwiceChain, sink);
    ASSERT_FALSE(stats.ok());
    EXPECT_EQ(stats.status().message(), "split 3");
  }
}

TEST(MorselExecutor, CancelStopsTheRun) {
  std::atomic<bool> cancel{false};
  FakeSource source(1000, 5, 10, 2000);
  RecordingSink sink;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    cancel = true;
  });
  auto stats = MorselExecutor({4, 0, &cancel}).Run(source, Doubler(), sink);
  canceller.join();
  ASSERT_FALSE(stats.ok());
  EXPECT_TRUE(stats.status().IsCancelled());
  EXPECT_TRUE(sink.aborted);
}

TEST(MorselExecutor, BuffersAtMostTheWindow) {
  // One batch per split: splits opened minus batches emitted is what is in flight.
  FakeSource source(200, 1, 10);
  RecordingSink sink;
  sink.source = &source;
  ASSERT_TRUE(MorselExecutor({4, 3}).Run(source, Doubler(), sink).ok());
  EXPECT_EQ(sink.values, Expected(200, 1, 10));
  EXPECT_LE(sink.max_ahead, 3);
}

// Without the order guarantee every row still arrives once, each split's batches stay
// together in their order, and a slow first split holds no other one back.
TEST(MorselExecutor, UnorderedDeliversEveryRowAsSplitsFinish) {
  class SlowFirstSplit final : public BatchTransform {
   public:
    SlowFirstSplit() : BatchTransform(Schema()) {}
    std::string_view name() const override { return "SlowFirstSplit"; }

   protected:
    Result<std::shared_ptr<arrow::RecordBatch>> Transform(const std::shared_ptr<arrow::RecordBatch>& b) override {
      if (static_cast<const arrow::Int64Array&>(*b->column(0)).Value(0) == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      return b;
    }
  };
  auto chain = []() -> Result<OperatorChain> {
    OperatorChain c;
    c.operators.push_back(std::make_unique<SlowFirstSplit>());
    c.head = c.tail = c.operators.back().get();
    return c;
  };
  for (int threads : {1, 2, 8}) {
    FakeSource source(40, 3, 100);
    RecordingSink sink;
    MorselExecutorOptions options{threads};
    options.ordered = false;
    auto stats = MorselExecutor(options).Run(source, chain, sink);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    auto want = Expected(40, 3, 100);
    for (auto& v : want) v /= 2;
    auto got = sink.values;
    if (threads > 1) {
      EXPECT_NE(got.front(), 0) << "split 0 is slow: others come first";
    }
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want) << threads << " threads";
    EXPECT_EQ(sink.eos, 1);
  }
}

TEST(MorselExecutor, UnorderedReportsTheFirstFailingSplitInSourceOrder) {
  FakeSource source(10, 1, 10, 0);
  RecordingSink sink;
  MorselExecutorOptions options{4};
  options.ordered = false;
  auto stats = MorselExecutor(options).Run(source, FailTwiceChain, sink);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().message(), "split 3");
  EXPECT_TRUE(sink.aborted);
}

TEST(MorselExecutor, StressManyTinyMorselsOnManyThreads) {
  for (int round = 0; round < 6; ++round) {
    FakeSource source(5000, 1, 1, 20);
    RecordingSink sink;
    MorselExecutorOptions options{16, 7};
    options.ordered = round % 2 == 0;
    ASSERT_TRUE(MorselExecutor(options).Run(source, Doubler(), sink).ok());
    if (!options.ordered) std::sort(sink.values.begin(), sink.values.end());
    EXPECT_EQ(sink.values, Expected(5000, 1, 1));
    EXPECT_EQ(sink.eos, 1);
  }
}

}  // namespace
}  // namespace sabot
