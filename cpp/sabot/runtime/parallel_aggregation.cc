// The parallel aggregation executor: worker tasks fold splits into partial aggregates,
// the calling thread merges them in split order and emits the result.
#include "sabot/runtime/parallel_aggregation.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>

#include <arrow/record_batch.h>

#include "sabot/exec/morsel_reader.h"
#include "sabot/exec/task_pool.h"

namespace sabot {

namespace {


// The end of a worker's chain: folds batches into the partial state of the split being
// read. Control events are dropped (see ParallelAggregation).
class PartialAggregateInput final : public Operator {
 public:
  explicit PartialAggregateInput(std::shared_ptr<arrow::Schema> schema) : Operator(std::move(schema)) {}
  std::string_view name() const override { return "PartialAggregate"; }
  Result<Flow> Push(int, Message message) override {
    if (message.is_batch()) ARROW_RETURN_NOT_OK(state->Consume(*message.batch()));
    return Flow::kContinue;
  }
  HashAggregateState* state = nullptr;
};

struct Worker {
  OperatorChain chain;
  std::unique_ptr<PartialAggregateInput> input;
  Operator* entry = nullptr;  // chain.head, or the input when the chain is empty
};

struct SplitResult {
  bool done = false;
  Status status;
  std::unique_ptr<HashAggregateState> state;
};

struct SharedState {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<SplitResult> results;  // by split index; emptied once merged
  MorselProgress progress;
};

}  // namespace

Result<ExecutorStats> ParallelAggregation::Run(Source& source, const OperatorChainFactory& make_chain,
                                               const HashAggregateState& prototype, Operator& downstream,
                                               Sink& sink) {
  ExecutorStats stats;
  auto start = std::chrono::steady_clock::now();
  Status st = RunLoop(source, make_chain, prototype, downstream, &stats);
  stats.wall = std::chrono::steady_clock::now() - start;
  if (!st.ok()) {
    Status abort = sink.Abort();
    if (!abort.ok()) return st.WithMessage(st.message(), " (and cleaning up failed: ", abort.message(), ")");
    return st;
  }
  return stats;
}

Status ParallelAggregation::RunLoop(Source& source, const OperatorChainFactory& make_chain,
                                    const HashAggregateState& prototype, Operator& downstream,
                                    ExecutorStats* stats) {
  SABOT_CHECK(options_.threads > 0);
  SABOT_CHECK(source.bounded());  // watermarks are dropped; see the class comment
  ARROW_ASSIGN_OR_RAISE(auto splits, source.Splits());
  const size_t n = splits.size();
  stats->splits = static_cast<int64_t>(n);

  std::vector<Worker> workers(static_cast<size_t>(options_.threads));
  for (auto& w : workers) {
    ARROW_ASSIGN_OR_RAISE(w.chain, make_chain());
    w.input = std::make_unique<PartialAggregateInput>(prototype.input_schema());
    if (w.chain.tail) {
      w.chain.tail->ConnectTo(w.input.get(), 0);
      w.entry = w.chain.head;
    } else {
      w.entry = w.input.get();
    }
  }

  SharedState shared;
  shared.results.resize(n);
  const size_t window = static_cast<size_t>(
      options_.max_pending_splits > 0 ? options_.max_pending_splits : 2 * options_.threads);
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
        std::unique_ptr<HashAggregateState> state;
        Status st;
        if (!shared.progress.Skipped(index)) {
          auto made = prototype.MakeEmpty();
          st = made.status();
          if (st.ok()) {
            state = std::move(made).ValueUnsafe();
            Worker& worker = workers[static_cast<size_t>(w)];
            worker.input->state = state.get();
            st = ReadMorsel(source, *splits[index], index, worker.entry, shared.progress, cancel);
          }
        }
        if (!st.ok()) shared.progress.SkipAfter(index);
        std::lock_guard<std::mutex> lock(shared.mutex);
        auto& r = shared.results[index];
        r.done = true;
        r.status = std::move(st);
        r.state = std::move(state);
        shared.changed.notify_all();
      });
    }
  };
  // Every exit below stops the tasks still queued or running; the pool then drains.
  struct StopOnExit {
    SharedState& shared;
    ~StopOnExit() { shared.progress.SkipAfter(0); }
  } stop_on_exit{shared};

  ARROW_ASSIGN_OR_RAISE(auto total, prototype.MakeEmpty());
  submit_up_to(window);
  for (size_t next_merge = 0; next_merge < n; ++next_merge) {
    std::unique_ptr<HashAggregateState> partial;
    {
      std::unique_lock<std::mutex> lock(shared.mutex);
      auto& r = shared.results[next_merge];
      while (!r.done) {
        if (IsCancelled(cancel)) return Status::Cancelled("job cancelled");
        shared.changed.wait_for(lock, kMorselMaxIdleWait);
      }
      if (!r.status.ok()) return r.status;
      partial = std::move(r.state);
    }
    submit_up_to(next_merge + 1 + window);
    // Once a later split failed, its error is the result unless an earlier one fails.
    if (shared.progress.Failed() || partial == nullptr) continue;
    // In split order: `partial`'s input comes after everything merged so far.
    ARROW_RETURN_NOT_OK(total->Merge(*partial));
  }
  stats->source_rows = shared.progress.rows.load();
  stats->source_batches = shared.progress.batches.load();

  ARROW_ASSIGN_OR_RAISE(auto result, total->Finalize());
  total.reset();
  for (auto& batch : result) {
    ARROW_ASSIGN_OR_RAISE(auto flow, downstream.Push(0, Message::Batch(std::move(batch))));
    if (flow == Flow::kStop) return Status::OK();  // as PipelineExecutor: no EndOfStream
  }
  return downstream.Push(0, Message::EndOfStream()).status();
}

}  // namespace sabot
