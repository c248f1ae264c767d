// The parallel aggregation executor: worker tasks fold splits into partial aggregates,
// the calling thread merges them in split order and emits the result.
#include "sabot/runtime/parallel_aggregation.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <arrow/record_batch.h>

#include "sabot/exec/morsel_reader.h"
#include "sabot/exec/pipeline_executor.h"

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


// Reads split `index` through `worker`'s chain into a fresh partial state.
Result<std::unique_ptr<HashAggregateState>> ReadPartial(const HashAggregateState& prototype, Worker& worker,
                                                        Source& source, const SourceSplits& splits, size_t index,
                                                        MorselProgress& progress, const std::atomic<bool>* cancel) {
  ARROW_ASSIGN_OR_RAISE(auto state, prototype.MakeEmpty());
  worker.input->state = state.get();
  ARROW_RETURN_NOT_OK(ReadMorsel(source, *splits[index], index, worker.entry, progress, cancel));
  return state;
}

// Sends the EndOfStream of the whole run through `worker`'s chain, once every split is
// done, into a fresh partial state: what the chain emits at its end (a parallel right
// join's unmatched build rows) is folded in after every split.
Result<std::unique_ptr<HashAggregateState>> ReadChainEnd(const HashAggregateState& prototype, Worker& worker) {
  ARROW_ASSIGN_OR_RAISE(auto state, prototype.MakeEmpty());
  worker.input->state = state.get();
  ARROW_RETURN_NOT_OK(worker.entry->Receive(0, Message::EndOfStream()).status());
  return state;
}

Status PushResult(std::vector<std::shared_ptr<arrow::RecordBatch>> result, Operator& downstream) {
  for (auto& batch : result) {
    ARROW_ASSIGN_OR_RAISE(auto flow, downstream.Push(0, Message::Batch(std::move(batch))));
    if (flow == Flow::kStop) return Status::OK();  // as PipelineExecutor: no EndOfStream
  }
  return downstream.Push(0, Message::EndOfStream()).status();
}


// One merge lane: a thread that folds part `p` of every split's partial state, in split
// order, into its own total, then finalizes it. Parts hold disjoint keys, so lanes never
// share a group and need no lock but their queue's.
class MergeLane {
 public:
  MergeLane(std::unique_ptr<HashAggregateState> total, size_t capacity)
      : total_(std::move(total)), capacity_(capacity), thread_([this] { Loop(); }) {}
  ~MergeLane() {
    Close();
    thread_.join();
  }

  //! Queues the next split's part, waiting while `capacity` parts are queued already (so
  //! the partial states held stay bounded); false once the lane failed.
  bool Push(std::unique_ptr<HashAggregateState> part) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return queue_.size() < capacity_ || failed_; });
    if (failed_) return false;
    queue_.push_back(std::move(part));
    ready_.notify_one();
    return true;
  }

  //! No more parts: the lane finalizes once its queue is drained.
  void Close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    ready_.notify_one();
  }

  //! Waits for the lane to finish; its result batches or its first error.
  Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> Finish() {
    Close();
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return finished_; });
    ARROW_RETURN_NOT_OK(status_);
    return std::move(result_);
  }

 private:
  void Loop() {
    Status status;
    for (;;) {
      std::unique_ptr<HashAggregateState> part;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return !queue_.empty() || closed_; });
        if (queue_.empty()) break;
        part = std::move(queue_.front());
        queue_.pop_front();
        room_.notify_one();
      }
      if (status.ok()) status = total_->Merge(*part);
      if (!status.ok()) {
        std::lock_guard lock(mutex_);
        failed_ = true;
        room_.notify_all();
      }
    }
    Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> result =
        status.ok() ? total_->Finalize() : Result<std::vector<std::shared_ptr<arrow::RecordBatch>>>(status);
    total_.reset();
    std::lock_guard lock(mutex_);
    if (result.ok()) {
      result_ = std::move(*result);
    } else {
      status_ = result.status();
      failed_ = true;
      room_.notify_all();
    }
    finished_ = true;
    done_.notify_all();
  }

  std::unique_ptr<HashAggregateState> total_;
  const size_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_, room_, done_;
  std::deque<std::unique_ptr<HashAggregateState>> queue_;
  bool closed_ = false, failed_ = false, finished_ = false;
  Status status_;
  std::vector<std::shared_ptr<arrow::RecordBatch>> result_;
  std::thread thread_;  // last: it starts once the members above exist
};

// The merge lanes start with a split whose partial state has this many groups. Below it
// the calling thread merges every partial at once: TPC-H Q1's four groups went to 16
// lanes per split on 16 threads, and 33 threads (workers, lanes, this one) woke each
// other on 16 cores for nothing.
constexpr int64_t kLaneGroups = 4096;
// They start too once the groups merged so far plus the next split's reach kLaneGroups
// and that split's state gives each lane at least this many entries to merge: a split of
// TPC-H Q16 at SF10 holds about 1.8K of its 28K groups (partsupp is sorted by part) but
// 7K count_distinct pairs, and one thread merged 160 splits' pairs while 15 idled. Cheap
// small states stay on the calling thread: cutting each of them into one part per lane
// cost more than merging it (Q16's plain count of the same groups: 88 -> 136 ms).
constexpr int64_t kLaneEntriesPerPart = 256;

std::atomic<int64_t> lane_starts{0};

// Parallel aggregation whose merge runs on lanes too, once partial states are large (see
// ParallelAggregationOptions): each split's partial state is then split by key hash into
// one part per lane. Until then this thread merges whole partials, in split order.
Status RunMergeLanes(const ParallelAggregationOptions& options, Source& source, const SourceSplits& splits,
                     std::vector<Worker>& workers, const HashAggregateState& prototype, size_t window,
                     MorselProgress& progress, Operator& downstream, ExecutorStats* stats) {
  // As many lanes as threads: the merge of many groups is then as parallel as the rest.
  const int parts = options.threads;
  using Parts = std::vector<std::unique_ptr<HashAggregateState>>;
  ARROW_ASSIGN_OR_RAISE(std::unique_ptr<HashAggregateState> total, prototype.MakeEmpty());
  std::vector<std::unique_ptr<MergeLane>> lanes;
  // Set once the lanes run: workers then split their partials themselves, in parallel.
  std::atomic<bool> workers_split{false};
  // Lanes continue from what was merged here: each starts with its part of `total`.
  auto start_lanes = [&]() -> Status {
    ARROW_ASSIGN_OR_RAISE(Parts seeds, total->SplitByKeyHash(parts));
    total.reset();
    for (auto& seed : seeds) lanes.push_back(std::make_unique<MergeLane>(std::move(seed), window));
    workers_split.store(true, std::memory_order_relaxed);
    lane_starts.fetch_add(1, std::memory_order_relaxed);
    return Status::OK();
  };
  // In split order, so the total and then each lane merge the splits in order.
  auto merge = [&](Parts got) -> Result<bool> {
    if (lanes.empty()) {
      const HashAggregateState& next = *got.front();
      const bool heavy = total->num_groups() + next.num_groups() >= kLaneGroups &&
                         next.MergeEntries() >= kLaneEntriesPerPart * parts;
      if (next.num_groups() < kLaneGroups && !heavy) {
        ARROW_RETURN_NOT_OK(total->Merge(*got.front()));
        return true;
      }
      ARROW_RETURN_NOT_OK(start_lanes());
    }
    // A whole partial read before the lanes started is split here.
    if (got.size() == 1 && parts > 1) {
      ARROW_ASSIGN_OR_RAISE(got, got.front()->SplitByKeyHash(parts));
    }
    for (int p = 0; p < parts; ++p) {
      if (!lanes[static_cast<size_t>(p)]->Push(std::move(got[static_cast<size_t>(p)]))) {
        return false;  // that lane failed; Finish reports its error
      }
    }
    return true;
  };
  Result<bool> finished = RunSplitsInOrder<Parts>(
      splits.size(), options.threads, window, options.cancel, progress,
      [&](size_t index, int w) -> Result<Parts> {
        ARROW_ASSIGN_OR_RAISE(auto state, ReadPartial(prototype, workers[static_cast<size_t>(w)], source, splits,
                                                      index, progress, options.cancel));
        if (workers_split.load(std::memory_order_relaxed)) return state->SplitByKeyHash(parts);
        Parts whole;
        whole.push_back(std::move(state));
        return whole;
      },
      [&](size_t, Parts got) { return merge(std::move(got)); });
  Status run = finished.status();
  if (run.ok() && *finished) {
    auto end = ReadChainEnd(prototype, workers.front());
    if (end.ok()) {
      Parts whole;
      whole.push_back(std::move(end).ValueUnsafe());
      run = merge(std::move(whole)).status();
    } else {
      run = end.status();
    }
  }
  stats->source_rows = progress.rows.load();
  stats->source_batches = progress.batches.load();
  std::vector<std::shared_ptr<arrow::RecordBatch>> result;
  Status merged;
  if (lanes.empty() && run.ok()) {
    ARROW_ASSIGN_OR_RAISE(result, total->Finalize());
  }
  for (auto& lane : lanes) {  // every lane is finished (and joined) even after an error
    auto batches = lane->Finish();
    if (!batches.ok()) {
      if (merged.ok()) merged = batches.status();
      continue;
    }
    for (auto& batch : *batches) result.push_back(std::move(batch));
  }
  lanes.clear();
  ARROW_RETURN_NOT_OK(run);
  ARROW_RETURN_NOT_OK(merged);
  return PushResult(std::move(result), downstream);
}

}  // namespace

int64_t MergeLaneStartsForTesting() { return lane_starts.load(std::memory_order_relaxed); }

Result<ExecutorStats> ParallelAggregation::Run(Source& source, const OperatorChainFactory& make_chain,
                                               const HashAggregateState& prototype, Operator& downstream,
                                               Sink& sink) {
  ARROW_ASSIGN_OR_RAISE(auto splits, SplitsOrAbort(source, sink));
  return Run(source, splits, make_chain, prototype, downstream, sink);
}

Result<ExecutorStats> ParallelAggregation::Run(Source& source, const SourceSplits& splits,
                                               const OperatorChainFactory& make_chain,
                                               const HashAggregateState& prototype, Operator& downstream,
                                               Sink& sink) {
  return RunAbortingOnError(
      sink, [&](ExecutorStats* stats) { return RunLoop(source, splits, make_chain, prototype, downstream, stats); });
}

Status ParallelAggregation::RunLoop(Source& source, const SourceSplits& splits,
                                    const OperatorChainFactory& make_chain, const HashAggregateState& prototype,
                                    Operator& downstream, ExecutorStats* stats) {
  SABOT_CHECK(options_.threads > 0);
  SABOT_CHECK(source.bounded());  // watermarks are dropped; see the class comment
  const size_t n = splits.size();
  stats->splits = static_cast<int64_t>(n);

  std::vector<Worker> workers(static_cast<size_t>(options_.threads));
  for (auto& w : workers) {
    ARROW_ASSIGN_OR_RAISE(w.chain, make_chain());
    w.input = std::make_unique<PartialAggregateInput>(prototype.input_schema());
    w.input->SetMetrics(options_.metrics);
    w.entry = w.chain.EndIn(w.input.get());
  }

  const size_t window = static_cast<size_t>(
      options_.max_pending_splits > 0 ? options_.max_pending_splits : 2 * options_.threads);
  MorselProgress progress;
  if (options_.threads > 1 && prototype.CanSplitByKeyHash()) {
    return RunMergeLanes(options_, source, splits, workers, prototype, window, progress, downstream, stats);
  }
  ARROW_ASSIGN_OR_RAISE(auto total, prototype.MakeEmpty());
  using State = std::unique_ptr<HashAggregateState>;
  ARROW_RETURN_NOT_OK(RunSplitsInOrder<State>(
      n, options_.threads, window, options_.cancel, progress,
      [&](size_t index, int w) -> Result<State> {
        return ReadPartial(prototype, workers[static_cast<size_t>(w)], source, splits, index, progress,
                           options_.cancel);
      },
      // In split order: each partial's input comes after everything merged so far.
      [&](size_t, State partial) -> Result<bool> {
        ARROW_RETURN_NOT_OK(total->Merge(*partial));
        return true;
      }).status());
  stats->source_rows = progress.rows.load();
  stats->source_batches = progress.batches.load();
  ARROW_ASSIGN_OR_RAISE(auto end, ReadChainEnd(prototype, workers.front()));
  ARROW_RETURN_NOT_OK(total->Merge(*end));

  ARROW_ASSIGN_OR_RAISE(auto result, total->Finalize());
  total.reset();
  return PushResult(std::move(result), downstream);
}

}  // namespace sabot
