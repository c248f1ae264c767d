// RunningPlan: the engine thread, the result channel and the sink that feeds it.
#include "sabot/runtime/running_plan.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>

#include <arrow/record_batch.h>

#include "sabot/runtime/job_memory_release.h"
#include "sabot/runtime/plan_facts.h"
#include "sabot/runtime/execute_plan.h"

namespace sabot {

//! A bounded queue of batches from one producer (the engine) to one consumer, plus
//! the job's final status. Signals an eventfd on every change a consumer may wait for.
class ResultChannel {
 public:
  explicit ResultChannel(size_t capacity) : capacity_(capacity), event_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~ResultChannel() {
    if (event_fd_ >= 0) close(event_fd_);
  }
  int event_fd() const { return event_fd_; }

  //! Blocks while the queue is full; Cancelled when the consumer went away.
  Status Put(std::shared_ptr<arrow::RecordBatch> batch, const std::atomic<bool>& cancel) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return queue_.size() < capacity_ || cancel.load(); });
    if (cancel.load()) return Status::Cancelled("job cancelled");
    queue_.push_back(std::move(batch));
    Signal();
    return Status::OK();
  }

  void Finish(Status status) {
    std::lock_guard lock(mutex_);
    finished_ = true;
    status_ = std::move(status);
    Signal();
  }

  void WakeProducer() {
    std::lock_guard lock(mutex_);
    not_full_.notify_all();
  }

  Result<RunningPlan::Poll> Take(std::chrono::milliseconds timeout) {
    Drain();
    std::unique_lock lock(mutex_);
    not_empty_.wait_for(lock, timeout, [&] { return !queue_.empty() || finished_; });
    if (!queue_.empty()) {
      RunningPlan::Poll poll{RunningPlan::State::kBatch, std::move(queue_.front())};
      queue_.pop_front();
      not_full_.notify_one();
      return poll;
    }
    if (finished_) {
      ARROW_RETURN_NOT_OK(status_);
      return RunningPlan::Poll{RunningPlan::State::kEnd, nullptr};
    }
    return RunningPlan::Poll{RunningPlan::State::kPending, nullptr};
  }

 private:
  void Signal() {  // with mutex_ held
    not_empty_.notify_one();
    uint64_t one = 1;
    if (event_fd_ >= 0) [[maybe_unused]] auto n = write(event_fd_, &one, sizeof(one));
  }
  void Drain() {
    uint64_t count;
    if (event_fd_ >= 0) [[maybe_unused]] auto n = read(event_fd_, &count, sizeof(count));
  }

  const size_t capacity_;
  const int event_fd_;
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::shared_ptr<arrow::RecordBatch>> queue_;
  bool finished_ = false;
  Status status_;
};

namespace {

std::atomic<int> g_active_engine_threads{0};

//! The sink of a RunningPlan: hands every batch, empty ones included, to the channel.
class ChannelSink final : public Sink {
 public:
  ChannelSink(std::shared_ptr<arrow::Schema> schema, std::shared_ptr<ResultChannel> channel,
              const std::atomic<bool>* cancel)
      : Sink(std::move(schema)), channel_(std::move(channel)), cancel_(cancel) {}
  std::string_view name() const override { return "ResultChannel"; }
  Result<Flow> Push(int, Message message) override {
    if (message.is_batch()) ARROW_RETURN_NOT_OK(channel_->Put(message.batch(), *cancel_));
    return Flow::kContinue;
  }
  // Batches already handed over stay with the consumer; the error reaches it too.
  Status Abort() override { return Status::OK(); }

 private:
  std::shared_ptr<ResultChannel> channel_;
  const std::atomic<bool>* cancel_;
};

}  // namespace

Result<std::unique_ptr<RunningPlan>> RunningPlan::Start(PlanPtr logical, RunningPlanOptions options) {
  if (options.memory_limit_bytes < 0) {
    return Status::Invalid("the memory limit must not be negative, got ", options.memory_limit_bytes);
  }
  ARROW_ASSIGN_OR_RAISE(const int threads, ResolveThreads(options.threads));
  PlanPtr body = OptimizeWithFacts(*logical);
  LowerOptions lower;
  lower.memory = MemoryBudget::Make(options.memory_limit_bytes, options.allow_spill);
  std::unique_ptr<RunningPlan> running(new RunningPlan());
  running->channel_ = std::make_shared<ResultChannel>(std::max<size_t>(1, options.queue_batches));
  auto* raw = running.get();
  ARROW_ASSIGN_OR_RAISE(auto lowered,
                        LowerPlanWithSink(*body, [raw](const std::shared_ptr<arrow::Schema>& schema)
                                                    -> Result<std::unique_ptr<Sink>> {
                          raw->schema_ = schema;
                          return std::make_unique<ChannelSink>(schema, raw->channel_, &raw->cancel_);
                        },
                        lower));
  auto plan = std::make_shared<LoweredPlan>(std::move(lowered));
  g_active_engine_threads.fetch_add(1);
  // The engine thread shares the logical plan too: parallel runs lower parts of it again.
  const bool ordered = options.ordered;
  running->engine_ = std::thread([body, plan, lower, raw, threads, ordered] {
    JobMemoryRelease release;
    Status status = ExecutePlan(*body, *plan, lower, {threads, &raw->cancel_, ordered}).status();
    raw->channel_->Finish(std::move(status));
    g_active_engine_threads.fetch_sub(1);
  });
  return running;
}

RunningPlan::~RunningPlan() {
  Cancel();
  Join();
}

Result<RunningPlan::Poll> RunningPlan::Next(std::chrono::milliseconds timeout) { return channel_->Take(timeout); }

void RunningPlan::Cancel() {
  cancel_.store(true);
  channel_->WakeProducer();
}

void RunningPlan::Join() {
  if (engine_.joinable()) engine_.join();
}

int RunningPlan::ActiveEngineThreads() { return g_active_engine_threads.load(); }

int RunningPlan::notify_fd() const { return channel_->event_fd(); }

}  // namespace sabot
