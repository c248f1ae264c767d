// The morsel executor: worker tasks read splits through their own operator chains,
// the calling thread reorders the results and feeds the sink.
#include "sabot/exec/morsel_executor.h"

#include <algorithm>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>

#include <arrow/record_batch.h>

#include "sabot/exec/task_pool.h"

namespace sabot {

namespace {

using Batches = std::vector<std::shared_ptr<arrow::RecordBatch>>;

// A pending split is asked again, and cancellation is looked at, at least this often.
constexpr auto kMaxIdleWait = std::chrono::milliseconds(50);
constexpr size_t kNoFailure = std::numeric_limits<size_t>::max();

// The end of a worker's chain: keeps the batches of the split being read. Control
// events are dropped here (see MorselExecutor: only watermarks reach it, and a
// bounded run ends in one EndOfStream sent by the executor).
class MorselBuffer final : public Operator {
 public:
  explicit MorselBuffer(std::shared_ptr<arrow::Schema> schema) : Operator(std::move(schema)) {}
  std::string_view name() const override { return "MorselBuffer"; }
  Result<Flow> Push(int, Message message) override {
    if (message.is_batch()) out->push_back(message.batch());
    return Flow::kContinue;
  }
  Batches* out = nullptr;
};

struct Worker {
  OperatorChain chain;
  std::unique_ptr<MorselBuffer> buffer;
  Operator* entry = nullptr;  // chain.head, or the buffer when the chain is empty
};

struct MorselResult {
  bool done = false;
  Status status;
  Batches batches;
};

// What the emitting thread and the workers share.
struct SharedState {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<MorselResult> results;  // by split index; emptied once emitted
  // Splits after this index are not worth reading: an earlier one failed, or the run
  // stopped. Splits before it still run, so the first failure in order is found.
  std::atomic<size_t> skip_after{kNoFailure};
  std::atomic<int64_t> rows{0};
  std::atomic<int64_t> batches{0};

  void SkipAfter(size_t index) {
    size_t cur = skip_after.load();
    while (index < cur && !skip_after.compare_exchange_weak(cur, index)) {
    }
  }
  bool Skipped(size_t index) const { return index > skip_after.load(std::memory_order_relaxed); }
};

bool Cancelled(const std::atomic<bool>* cancel) { return cancel && cancel->load(std::memory_order_relaxed); }

// Reads split `index` through `worker`'s chain into `out`.
Status ReadMorsel(Source& source, const SourceSplit& split, size_t index, Worker& worker,
                  SharedState& shared, const std::atomic<bool>* cancel, Batches* out) {
  worker.buffer->out = out;
  ARROW_ASSIGN_OR_RAISE(auto reader, source.Open(split));
  for (;;) {
    if (Cancelled(cancel)) return Status::Cancelled("job cancelled");
    if (shared.Skipped(index)) return Status::OK();  // the result will not be used
    ARROW_ASSIGN_OR_RAISE(auto poll, reader->Next());
    switch (poll.state) {
      case SourcePoll::State::kMessage: {
        if (!poll.message->is_batch()) break;  // watermarks: see MorselExecutor
        shared.rows.fetch_add(poll.message->batch()->num_rows(), std::memory_order_relaxed);
        shared.batches.fetch_add(1, std::memory_order_relaxed);
        ARROW_ASSIGN_OR_RAISE(auto flow, worker.entry->Push(0, std::move(*poll.message)));
        if (flow == Flow::kStop) return Status::OK();
        break;
      }
      case SourcePoll::State::kPending:
        std::this_thread::sleep_until(std::min(poll.ready_at, std::chrono::steady_clock::now() + kMaxIdleWait));
        break;
      case SourcePoll::State::kExhausted:
        return Status::OK();
    }
  }
}

}  // namespace

Result<ExecutorStats> MorselExecutor::Run(Source& source, const OperatorChainFactory& make_chain, Sink& sink) {
  ExecutorStats stats;
  auto start = std::chrono::steady_clock::now();
  Status st = RunLoop(source, make_chain, sink, &stats);
  stats.wall = std::chrono::steady_clock::now() - start;
  if (!st.ok()) {
    Status abort = sink.Abort();
    if (!abort.ok()) return st.WithMessage(st.message(), " (and cleaning up failed: ", abort.message(), ")");
    return st;
  }
  return stats;
}

Status MorselExecutor::RunLoop(Source& source, const OperatorChainFactory& make_chain, Sink& sink,
                               ExecutorStats* stats) {
  SABOT_CHECK(options_.threads > 0);
  SABOT_CHECK(source.bounded());  // watermarks are dropped; see the class comment
  ARROW_ASSIGN_OR_RAISE(auto splits, source.Splits());
  const size_t n = splits.size();
  stats->splits = static_cast<int64_t>(n);

  std::vector<Worker> workers(static_cast<size_t>(options_.threads));
  for (auto& w : workers) {
    ARROW_ASSIGN_OR_RAISE(w.chain, make_chain());
    const auto& schema = w.chain.tail ? w.chain.tail->output_schema() : source.schema();
    w.buffer = std::make_unique<MorselBuffer>(schema);
    if (w.chain.tail) {
      w.chain.tail->ConnectTo(w.buffer.get(), 0);
      w.entry = w.chain.head;
    } else {
      w.entry = w.buffer.get();
    }
  }

  SharedState shared;
  shared.results.resize(n);
  const size_t window = static_cast<size_t>(
      options_.max_pending_morsels > 0 ? options_.max_pending_morsels : 2 * options_.threads);
  const std::atomic<bool>* cancel = options_.cancel;

  // Declared after what its tasks use: destroyed first, so its threads are joined
  // before the workers and the shared state go away.
  TaskPool pool(options_.threads);
  size_t next_submit = 0;
  auto submit_up_to = [&](size_t end) {
    end = std::min(end, n);
    while (next_submit < end && !shared.Skipped(next_submit)) {
      const size_t index = next_submit++;
      pool.Submit([&, index](int w) {
        Batches out;
        Status st = shared.Skipped(index)
                        ? Status::OK()
                        : ReadMorsel(source, *splits[index], index, workers[static_cast<size_t>(w)], shared,
                                     cancel, &out);
        if (!st.ok()) shared.SkipAfter(index);
        std::lock_guard<std::mutex> lock(shared.mutex);
        auto& r = shared.results[index];
        r.done = true;
        r.status = std::move(st);
        r.batches = std::move(out);
        shared.changed.notify_all();
      });
    }
  };
  // Every exit below stops the tasks still queued or running; the pool then drains.
  struct StopOnExit {
    SharedState& shared;
    ~StopOnExit() { shared.SkipAfter(0); }
  } stop_on_exit{shared};

  submit_up_to(window);
  for (size_t next_emit = 0; next_emit < n; ++next_emit) {
    Batches batches;
    {
      std::unique_lock<std::mutex> lock(shared.mutex);
      auto& r = shared.results[next_emit];
      while (!r.done) {
        if (Cancelled(cancel)) return Status::Cancelled("job cancelled");
        shared.changed.wait_for(lock, kMaxIdleWait);
      }
      if (!r.status.ok()) return r.status;
      batches = std::move(r.batches);
      r.batches.clear();
    }
    // Hand out more work before feeding the sink, so workers stay busy meanwhile.
    submit_up_to(next_emit + 1 + window);
    // Once a later split failed, its error is the result unless an earlier one fails:
    // feeding the sink is wasted work.
    if (shared.skip_after.load() != kNoFailure) continue;
    for (auto& batch : batches) {
      ARROW_ASSIGN_OR_RAISE(auto flow, sink.Push(0, Message::Batch(std::move(batch))));
      if (flow == Flow::kStop) return Status::OK();  // as PipelineExecutor: no EndOfStream
    }
  }
  stats->source_rows = shared.rows.load();
  stats->source_batches = shared.batches.load();
  return sink.Push(0, Message::EndOfStream()).status();
}

}  // namespace sabot
