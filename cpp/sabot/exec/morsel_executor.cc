// The morsel executor: worker tasks read splits through their own operator chains,
// the calling thread reorders the results and feeds the sink.
#include "sabot/exec/morsel_executor.h"

#include <algorithm>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>

#include <arrow/record_batch.h>

#include "sabot/exec/morsel_reader.h"
#include "sabot/exec/task_pool.h"

namespace sabot {

namespace {

using Batches = std::vector<std::shared_ptr<arrow::RecordBatch>>;


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
  MorselProgress progress;
};

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
    while (next_submit < end && !shared.progress.Skipped(next_submit)) {
      const size_t index = next_submit++;
      pool.Submit([&, index](int w) {
        Batches out;
        Worker& worker = workers[static_cast<size_t>(w)];
        worker.buffer->out = &out;
        Status st = shared.progress.Skipped(index)
                        ? Status::OK()
                        : ReadMorsel(source, *splits[index], index, worker.entry, shared.progress, cancel);
        if (!st.ok()) shared.progress.SkipAfter(index);
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
    ~StopOnExit() { shared.progress.SkipAfter(0); }
  } stop_on_exit{shared};

  submit_up_to(window);
  for (size_t next_emit = 0; next_emit < n; ++next_emit) {
    Batches batches;
    {
      std::unique_lock<std::mutex> lock(shared.mutex);
      auto& r = shared.results[next_emit];
      while (!r.done) {
        if (IsCancelled(cancel)) return Status::Cancelled("job cancelled");
        shared.changed.wait_for(lock, kMorselMaxIdleWait);
      }
      if (!r.status.ok()) return r.status;
      batches = std::move(r.batches);
      r.batches.clear();
    }
    // Hand out more work before feeding the sink, so workers stay busy meanwhile.
    submit_up_to(next_emit + 1 + window);
    // Once a later split failed, its error is the result unless an earlier one fails:
    // feeding the sink is wasted work.
    if (shared.progress.Failed()) continue;
    for (auto& batch : batches) {
      ARROW_ASSIGN_OR_RAISE(auto flow, sink.Push(0, Message::Batch(std::move(batch))));
      if (flow == Flow::kStop) return Status::OK();  // as PipelineExecutor: no EndOfStream
    }
  }
  stats->source_rows = shared.progress.rows.load();
  stats->source_batches = shared.progress.batches.load();
  return sink.Push(0, Message::EndOfStream()).status();
}

}  // namespace sabot
