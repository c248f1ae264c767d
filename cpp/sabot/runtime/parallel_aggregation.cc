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
// read, or, with `rows` set, splits them by key hash into one list of batches per merge
// lane (see ReadRows). Control events are dropped (see ParallelAggregation).
class PartialAggregateInput final : public Operator {
 public:
  explicit PartialAggregateInput(std::shared_ptr<arrow::Schema> schema) : Operator(std::move(schema)) {}
  std::string_view name() const override { return "PartialAggregate"; }
  Result<Flow> Push(int, Message message) override {
    if (!message.is_batch()) return Flow::kContinue;
    if (rows == nullptr) {
      ARROW_RETURN_NOT_OK(state->Consume(*message.batch()));
      return Flow::kContinue;
    }
    ARROW_ASSIGN_OR_RAISE(auto parts, partitioner->PartitionByKeyHash(message.batch(), static_cast<int>(rows->size())));
    for (size_t p = 0; p < parts.size(); ++p) {
      if (parts[p] != nullptr) (*rows)[p].push_back(std::move(parts[p]));
    }
    return Flow::kContinue;
  }
  HashAggregateState* state = nullptr;
  const HashAggregateState* partitioner = nullptr;  // with `rows`: how rows split
  std::vector<std::vector<std::shared_ptr<arrow::RecordBatch>>>* rows = nullptr;
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

// What one split hands a merge lane: its partial state's part, or its rows of that part
// (see ReadRows), which the lane consumes.
struct LanePiece {
  std::unique_ptr<HashAggregateState> state;
  std::vector<std::shared_ptr<arrow::RecordBatch>> rows;
};

// Reads split `index` through `worker`'s chain into `parts` lists of its rows, split by
// key hash as the lanes' states are (HashAggregateState::PartitionByKeyHash). For keys so
// many that a split's partial state has about a group per row (TPC-H Q13 counts 15M
// orders of 1M customers: a split of 120K orders holds 110K of them), folding a split
// into its own state first only repeats the lane's work: every row was inserted into
// the split's table, then each group again into the lane's.
Result<std::vector<LanePiece>> ReadRows(const HashAggregateState& prototype, Worker& worker, Source& source,
                                        const SourceSplits& splits, size_t index, int parts,
                                        MorselProgress& progress, const std::atomic<bool>* cancel) {
  std::vector<std::vector<std::shared_ptr<arrow::RecordBatch>>> rows(static_cast<size_t>(parts));
  worker.input->partitioner = &prototype;
  worker.input->rows = &rows;
  const Status read = ReadMorsel(source, *splits[index], index, worker.entry, progress, cancel);
  worker.input->rows = nullptr;
  ARROW_RETURN_NOT_OK(read);
  std::vector<LanePiece> pieces(static_cast<size_t>(parts));
  for (size_t p = 0; p < pieces.size(); ++p) pieces[p].rows = std::move(rows[p]);
  return pieces;
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


// One merge lane: a thread that folds part `p` of every split's partial state (or of its
// rows), in split order, into its own total, then finalizes it. Parts hold disjoint keys,
// so lanes never share a group and need no lock but their queue's.
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
  bool Push(LanePiece part) {
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
      LanePiece part;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return !queue_.empty() || closed_; });
        if (queue_.empty()) break;
        part = std::move(queue_.front());
        queue_.pop_front();
        room_.notify_one();
      }
      if (status.ok()) status = Fold(part);
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

  Status Fold(LanePiece& part) {
    if (part.state != nullptr) return total_->Merge(*part.state);
    for (const auto& batch : part.rows) ARROW_RETURN_NOT_OK(total_->Consume(*batch));
    return Status::OK();
  }

  std::unique_ptr<HashAggregateState> total_;
  const size_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_, room_, done_;
  std::deque<LanePiece> queue_;
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
// Workers hand the lanes rows instead of partial states (see ReadRows) when the split
// that starts the lanes holds a group, or a count_distinct pair, per this many rows or
// fewer (HashAggregateState::LargestEntries): its state then saves the lanes little.
// (TPC-H Q18's lineitem by order, 4 rows a group, keeps its partial states; Q16's
// 27K groups of 1.2M rows hold a supplier pair per row.)
constexpr int64_t kRowsPerGroupForRows = 2;

std::atomic<int64_t> lane_starts{0};
std::atomic<int64_t> rows_to_lanes{0};

// Parallel aggregation whose merge runs on lanes too, once partial states are large (see
// ParallelAggregationOptions): each split's partial state is then split by key hash into
// one part per lane. Until then this thread merges whole partials, in split order.
Status RunMergeLanes(const ParallelAggregationOptions& options, Source& source, const SourceSplits& splits,
                     std::vector<Worker>& workers, const HashAggregateState& prototype, size_t window,
                     MorselProgress& progress, Operator& downstream, ExecutorStats* stats) {
  // As many lanes as threads: the merge of many groups is then as parallel as the rest.
  const int parts = options.threads;
  using Parts = std::vector<LanePiece>;
  ARROW_ASSIGN_OR_RAISE(std::unique_ptr<HashAggregateState> total, prototype.MakeEmpty());
  std::vector<std::unique_ptr<MergeLane>> lanes;
  // Set once the lanes run: workers then split their partials themselves, in parallel.
  std::atomic<bool> workers_split{false};
  // Set, with the lanes' start, where partial states barely reduce their rows: workers
  // then hand the lanes rows instead (see ReadRows).
  std::atomic<bool> workers_rows{false};
  // Lanes continue from what was merged here: each starts with its part of `total`.
  auto start_lanes = [&]() -> Status {
    ARROW_ASSIGN_OR_RAISE(auto seeds, total->SplitByKeyHash(parts));
    total.reset();
    for (auto& seed : seeds) lanes.push_back(std::make_unique<MergeLane>(std::move(seed), window));
    workers_split.store(true, std::memory_order_relaxed);
    lane_starts.fetch_add(1, std::memory_order_relaxed);
    return Status::OK();
  };
  auto whole = [](std::unique_ptr<HashAggregateState> state) {
    Parts one(1);
    one[0].state = std::move(state);
    return one;
  };
  auto split = [parts](HashAggregateState& state) -> Result<Parts> {
    ARROW_ASSIGN_OR_RAISE(auto states, state.SplitByKeyHash(parts));
    Parts pieces(states.size());
    for (size_t p = 0; p < states.size(); ++p) pieces[p].state = std::move(states[p]);
    return pieces;
  };
  // In split order, so the total and then each lane merge the splits in order.
  auto merge = [&](Parts got) -> Result<bool> {
    if (lanes.empty()) {  // every split's piece is then its whole partial state
      const HashAggregateState& next = *got.front().state;
      const bool heavy = total->num_groups() + next.num_groups() >= kLaneGroups &&
                         next.MergeEntries() >= kLaneEntriesPerPart * parts;
      if (next.num_groups() < kLaneGroups && !heavy) {
        ARROW_RETURN_NOT_OK(total->Merge(*got.front().state));
        return true;
      }
      if (prototype.CanPartitionByKeyHash() && next.LargestEntries() * kRowsPerGroupForRows >= next.rows_seen()) {
        workers_rows.store(true, std::memory_order_relaxed);
        rows_to_lanes.fetch_add(1, std::memory_order_relaxed);
      }
      ARROW_RETURN_NOT_OK(start_lanes());
    }
    // A whole partial read before the lanes started is split here.
    if (got.size() == 1) {
      ARROW_ASSIGN_OR_RAISE(got, split(*got.front().state));
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
        Worker& worker = workers[static_cast<size_t>(w)];
        if (workers_rows.load(std::memory_order_relaxed)) {
          return ReadRows(prototype, worker, source, splits, index, parts, progress, options.cancel);
        }
        ARROW_ASSIGN_OR_RAISE(auto state, ReadPartial(prototype, worker, source, splits, index, progress, options.cancel));
        if (workers_split.load(std::memory_order_relaxed)) return split(*state);
        return whole(std::move(state));
      },
      [&](size_t, Parts got) { return merge(std::move(got)); });
  Status run = finished.status();
  if (run.ok() && *finished) {
    auto end = ReadChainEnd(prototype, workers.front());
    if (end.ok()) {
      run = merge(whole(std::move(end).ValueUnsafe())).status();
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
  // Every lane is closed before any is waited for: each finalizes as soon as its queue is
  // drained, all at once. Closed one by one as Finish waited for each, the lanes finalized
  // in turn (TPC-H Q18 at SF10 on 16 threads: 16 lanes of 35 ms, 0.47 s of its 1 s).
  for (auto& lane : lanes) lane->Close();
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
int64_t RowsToMergeLanesForTesting() { return rows_to_lanes.load(std::memory_order_relaxed); }

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
