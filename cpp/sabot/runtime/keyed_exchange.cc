// The keyed exchange: producers route rows by key group to owner threads over bounded
// queues; each owner runs the keyed step, and the rest of the plan runs once above them.
#include "sabot/runtime/keyed_exchange.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <arrow/array.h>
#include <arrow/buffer.h>
#include <arrow/compute/api_vector.h>
#include <arrow/record_batch.h>

#include "sabot/exec/merged_watermark.h"
#include "sabot/exec/morsel_reader.h"
#include "sabot/runtime/parallel_aggregation.h"
#include "sabot/state/key_group.h"

namespace sabot {

namespace {

// Messages in flight per owner before producers wait: enough to keep an owner busy while
// producers compute the next, little enough that memory stays bounded.
constexpr size_t kQueueCapacity = 16;
constexpr auto kWaitSlice = std::chrono::milliseconds(50);

bool IsStatelessStep(PlanKind kind) {
  switch (kind) {
    case PlanKind::kFilter:
    case PlanKind::kProject:
    case PlanKind::kWithColumns:
    case PlanKind::kRename:
    case PlanKind::kExplode:
      return true;
    default:
      return false;
  }
}

// What every thread of one run shares: the first error, and whether to stop.
class RunControl {
 public:
  explicit RunControl(const std::atomic<bool>* cancel) : cancel_(cancel) {}
  bool Stopping() const { return stop_.load(std::memory_order_relaxed) || IsCancelled(cancel_); }
  void Stop() { stop_.store(true); }
  void Fail(const Status& st) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (error_.ok()) error_ = st;
    }
    Stop();
  }
  Status Result() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (error_.ok() && IsCancelled(cancel_)) return Status::Cancelled("job cancelled");
    return error_;
  }

 private:
  const std::atomic<bool>* cancel_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  Status error_;
};

struct Envelope {
  int producer;
  Message message;
};

// A bounded queue into one owner; control messages count too, so a producer that only
// sends watermarks to an owner cannot grow its queue without end. Waits are sliced so a
// stopping run is noticed.
class OwnerQueue {
 public:
  // False when the run stops before there is room.
  bool Push(Envelope envelope, const RunControl& run) {
    std::unique_lock<std::mutex> lock(mutex_);
    // A newer watermark of the same producer replaces one still waiting.
    if (envelope.message.kind() == MessageKind::kWatermark && !items_.empty() &&
        items_.back().producer == envelope.producer && items_.back().message.kind() == MessageKind::kWatermark) {
      items_.back() = std::move(envelope);
      return true;
    }
    while (items_.size() >= kQueueCapacity) {
      if (run.Stopping()) return false;
      not_full_.wait_for(lock, kWaitSlice);
    }
    items_.push_back(std::move(envelope));
    peak_ = std::max(peak_, static_cast<int64_t>(items_.size()));
    not_empty_.notify_one();
    return true;
  }
  // Empty when the run stops before something arrives.
  std::optional<Envelope> Pop(const RunControl& run) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (items_.empty()) {
      if (run.Stopping()) return std::nullopt;
      not_empty_.wait_for(lock, kWaitSlice);
    }
    Envelope out = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return out;
  }
  int64_t peak() {
    std::lock_guard<std::mutex> lock(mutex_);
    return peak_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Envelope> items_;
  int64_t peak_ = 0;
};

// The end of a producer's chain: each batch's rows go to their key group's owner;
// control messages go to every owner.
class ExchangeSender final : public Operator {
 public:
  //! `shipped`: the columns (of `schema`) the owners read; `keys` index into those.
  ExchangeSender(std::shared_ptr<arrow::Schema> schema, std::vector<int> shipped, std::vector<int> keys,
                 int producer, std::vector<std::unique_ptr<OwnerQueue>>* queues, RunControl* run)
      : Operator(std::move(schema)),
        shipped_(std::move(shipped)),
        router_(std::move(keys), static_cast<int>(queues->size())),
        producer_(producer),
        queues_(queues),
        run_(run) {}
  std::string_view name() const override { return "ExchangeSender"; }

  Result<Flow> Push(int, Message message) override {
    if (!message.is_batch()) {
      for (auto& queue : *queues_) {
        if (!queue->Push({producer_, message}, *run_)) return Flow::kStop;
      }
      return Flow::kContinue;
    }
    // An empty batch carries nothing an owner needs (its watermark follows on its own).
    if (message.batch()->num_rows() == 0) return Flow::kContinue;
    std::shared_ptr<arrow::RecordBatch> batch = message.batch();
    if (static_cast<int>(shipped_.size()) < batch->num_columns()) {
      ARROW_ASSIGN_OR_RAISE(batch, batch->SelectColumns(shipped_));  // zero-copy
    }
    ARROW_RETURN_NOT_OK(router_.Route(batch, &per_owner_));
    for (size_t o = 0; o < per_owner_.size(); ++o) {
      if (per_owner_[o] == nullptr) continue;
      if (!(*queues_)[o]->Push({producer_, Message::Batch(std::move(per_owner_[o]))}, *run_)) return Flow::kStop;
    }
    return Flow::kContinue;
  }

 private:
  std::vector<int> shipped_;
  KeyGroupRouter router_;
  int producer_;
  std::vector<std::unique_ptr<OwnerQueue>>* queues_;
  RunControl* run_;
  std::vector<std::shared_ptr<arrow::RecordBatch>> per_owner_;
};

// Where the owners' output meets: the rest of the plan, fed under one lock. It sees the
// smallest of the owners' watermarks (an owner ahead must not close the rest's windows),
// a checkpoint barrier once every owner passed it, and one end of stream, from the last
// owner to finish.
class OwnerMerge {
 public:
  OwnerMerge(Operator* rest, int owners) : rest_(rest), owners_(owners), watermark_(owners), open_(owners) {}

  Result<Flow> Push(int owner, Message message) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return Flow::kStop;
    ARROW_ASSIGN_OR_RAISE(auto flow, Forward(static_cast<size_t>(owner), std::move(message)));
    if (flow == Flow::kStop) stopped_ = true;
    return flow;
  }

 private:
  Result<Flow> Forward(size_t owner, Message message) {
    switch (message.kind()) {
      case MessageKind::kBatch:
        watermark_.Active(owner);
        return rest_->Receive(0, std::move(message));
      case MessageKind::kCheckpointBarrier:
        if (++barriers_[message.checkpoint_id()] < owners_) return Flow::kContinue;
        barriers_.erase(message.checkpoint_id());
        return rest_->Receive(0, std::move(message));
      case MessageKind::kEndOfStream:
        if (--open_ == 0) return rest_->Receive(0, std::move(message));
        [[fallthrough]];
      case MessageKind::kWatermark:
      case MessageKind::kIdle: {
        watermark_.Record(owner, message);
        auto next = watermark_.Next();
        if (!next) return Flow::kContinue;
        return rest_->Receive(0, std::move(*next));
      }
    }
    return Flow::kContinue;
  }

  std::mutex mutex_;
  Operator* rest_;
  const int owners_;
  MergedWatermark watermark_;
  std::map<int64_t, int> barriers_;  // checkpoint id -> owners that passed it
  int open_;
  bool stopped_ = false;
};

// The sink of one owner's keyed step: into the merge, as that owner.
class OwnerOutput final : public Sink {
 public:
  OwnerOutput(std::shared_ptr<arrow::Schema> schema, int owner, OwnerMerge* merge, Sink* sink)
      : Sink(std::move(schema)), owner_(owner), merge_(merge), sink_(sink) {}
  std::string_view name() const override { return "OwnerOutput"; }
  Result<Flow> Push(int, Message message) override { return merge_->Push(owner_, std::move(message)); }
  Status Abort() override { return sink_->Abort(); }

 private:
  int owner_;
  OwnerMerge* merge_;
  Sink* sink_;
};

// One owner's loop: messages from every producer into its copy of the keyed step, with
// the minimum of the producers' watermarks (MergedWatermark); its end of stream once
// every producer ended.
Status RunOwner(OwnerQueue& queue, Operator& entry, int producers, RunControl& run) {
  MergedWatermark watermark(static_cast<size_t>(producers));
  std::map<int64_t, int> barriers;  // checkpoint id -> producers that delivered it
  int open = producers;
  auto stopped = [&](Flow flow) {
    if (flow == Flow::kStop) run.Stop();  // the rest of the plan wants nothing more
    return flow == Flow::kStop;
  };
  while (open > 0) {
    auto envelope = queue.Pop(run);
    if (!envelope) return Status::OK();  // the run stopped
    const auto p = static_cast<size_t>(envelope->producer);
    Message& message = envelope->message;
    std::optional<Message> next;
    switch (message.kind()) {
      case MessageKind::kBatch:
        watermark.Active(p);
        next = std::move(message);
        break;
      case MessageKind::kCheckpointBarrier:
        // Passed on once every producer delivered it (not aligned: rows behind the
        // barrier of one producer may arrive before another's barrier).
        if (++barriers[message.checkpoint_id()] < producers) continue;
        barriers.erase(message.checkpoint_id());
        next = std::move(message);
        break;
      case MessageKind::kEndOfStream:
        --open;
        [[fallthrough]];
      case MessageKind::kWatermark:
      case MessageKind::kIdle:
        watermark.Record(p, message);
        next = watermark.Next();
        break;
    }
    if (!next) continue;
    ARROW_ASSIGN_OR_RAISE(auto flow, entry.Receive(0, std::move(*next)));
    if (stopped(flow)) return Status::OK();
  }
  if (run.Stopping()) return Status::OK();
  // Its answer does not matter: after its end nothing follows anyway (a global window
  // says kStop here), and the other owners still have theirs to send.
  return entry.Receive(0, Message::EndOfStream()).status();
}

// One producer's partitions. A bounded source's are read one after another, in source
// order, as the single-threaded executor reads them; an endless source's partitions never
// end, so they are polled in turn and their watermark is the smallest of theirs.
class ProducerLoop {
 public:
  ProducerLoop(Source& source, const SourceSplits& partitions, std::vector<size_t> mine, Operator* entry,
               RunControl& run, MorselProgress& progress)
      : source_(source), partitions_(partitions), mine_(std::move(mine)), entry_(entry), run_(run),
        progress_(progress) {}

  Status Run() {
    if (source_.bounded()) {
      for (size_t index : mine_) {
        ARROW_ASSIGN_OR_RAISE(auto done, ReadToEnd(index));
        if (done) return Status::OK();
      }
    } else {
      ARROW_ASSIGN_OR_RAISE(auto done, Interleave());
      if (done) return Status::OK();
    }
    if (run_.Stopping()) return Status::OK();
    return entry_->Receive(0, Message::EndOfStream()).status();
  }

 private:
  // Returns true when the run stopped or the chain wants nothing more.
  Result<bool> ReadToEnd(size_t index) {
    ARROW_ASSIGN_OR_RAISE(auto reader, source_.Open(*partitions_[index]));
    while (!run_.Stopping()) {
      ARROW_ASSIGN_OR_RAISE(auto poll, reader->Next());
      if (poll.state == SourcePoll::State::kExhausted) return false;
      if (poll.state == SourcePoll::State::kPending) {
        Wait(poll.ready_at);
        continue;
      }
      ARROW_ASSIGN_OR_RAISE(auto flow, Send(std::move(*poll.message)));
      if (flow == Flow::kStop) return true;
    }
    return true;
  }

  Result<bool> Interleave() {
    std::vector<std::unique_ptr<SplitReader>> readers;
    for (size_t index : mine_) {
      ARROW_ASSIGN_OR_RAISE(auto reader, source_.Open(*partitions_[index]));
      readers.push_back(std::move(reader));
    }
    MergedWatermark watermark(readers.size());
    size_t open = readers.size();
    while (open > 0) {
      if (run_.Stopping()) return true;
      bool progress = false;
      auto wake_at = std::chrono::steady_clock::now() + kWaitSlice;
      for (size_t r = 0; r < readers.size(); ++r) {
        if (readers[r] == nullptr) continue;
        ARROW_ASSIGN_OR_RAISE(auto poll, readers[r]->Next());
        if (poll.state == SourcePoll::State::kPending) {
          wake_at = std::min(wake_at, poll.ready_at);
          continue;
        }
        progress = true;
        std::optional<Message> next;
        if (poll.state == SourcePoll::State::kExhausted) {
          readers[r].reset();
          --open;
          watermark.Record(r, Message::EndOfStream());
          next = watermark.Next();
        } else if (poll.message->is_batch()) {
          watermark.Active(r);
          next = std::move(*poll.message);
        } else if (poll.message->kind() == MessageKind::kCheckpointBarrier) {
          next = std::move(*poll.message);  // a source's barriers come from outside it
        } else {
          watermark.Record(r, *poll.message);
          next = watermark.Next();
        }
        if (!next) continue;
        ARROW_ASSIGN_OR_RAISE(auto flow, Send(std::move(*next)));
        if (flow == Flow::kStop) return true;
      }
      // A source with no data yields the thread until it has some.
      if (!progress) Wait(wake_at);
    }
    return false;
  }

  void Wait(std::chrono::steady_clock::time_point until) {
    std::this_thread::sleep_until(std::min(until, std::chrono::steady_clock::now() + kWaitSlice));
  }

  Result<Flow> Send(Message message) {
    if (message.is_batch()) {
      progress_.rows.fetch_add(message.batch()->num_rows(), std::memory_order_relaxed);
      progress_.batches.fetch_add(1, std::memory_order_relaxed);
    }
    return entry_->Receive(0, std::move(message));
  }

  Source& source_;
  const SourceSplits& partitions_;
  std::vector<size_t> mine_;
  Operator* entry_;
  RunControl& run_;
  MorselProgress& progress_;
};

}  // namespace

Status KeyGroupRouter::Route(const std::shared_ptr<arrow::RecordBatch>& batch,
                             std::vector<std::shared_ptr<arrow::RecordBatch>>* per_owner) {
  per_owner->assign(static_cast<size_t>(owners_), nullptr);
  const int64_t rows = batch->num_rows();
  if (rows == 0) return Status::OK();
  ARROW_RETURN_NOT_OK(KeyGroupsOf(*batch, keys_, kDefaultKeyGroups, &groups_));
  owner_of_.resize(static_cast<size_t>(rows));
  std::vector<int64_t> start(static_cast<size_t>(owners_) + 1, 0);
  for (int64_t i = 0; i < rows; ++i) {
    owner_of_[i] = KeyGroupOwner(groups_[i], owners_);
    ++start[static_cast<size_t>(owner_of_[i]) + 1];
  }
  for (int o = 0; o < owners_; ++o) {
    if (start[o + 1] == rows) {  // every row to one owner: no copy
      (*per_owner)[static_cast<size_t>(o)] = batch;
      return Status::OK();
    }
    start[o + 1] += start[o];
  }
  // A stable counting sort: within an owner, rows keep their order (per-key order).
  ARROW_ASSIGN_OR_RAISE(auto order, arrow::AllocateBuffer(rows * static_cast<int64_t>(sizeof(int32_t))));
  auto* out = reinterpret_cast<int32_t*>(order->mutable_data());
  std::vector<int64_t> next(start.begin(), start.end() - 1);
  for (int64_t i = 0; i < rows; ++i) out[next[owner_of_[i]]++] = static_cast<int32_t>(i);
  arrow::Int32Array indices(rows, std::move(order));
  // The indices are in range by construction.
  ARROW_ASSIGN_OR_RAISE(auto sorted, arrow::compute::Take(arrow::Datum(batch), arrow::Datum(indices),
                                                          arrow::compute::TakeOptions::NoBoundsCheck()));
  const auto& taken = sorted.record_batch();
  for (int o = 0; o < owners_; ++o) {
    if (start[o + 1] > start[o]) (*per_owner)[static_cast<size_t>(o)] = taken->Slice(start[o], start[o + 1] - start[o]);
  }
  return Status::OK();
}

namespace {

// Fills in `shape`'s keyed step from `node` when it is one (see KeyedExchangeShape).
bool AsKeyedStep(const PlanNode& node, KeyedExchangeShape* shape) {
  auto add_aggregates = [&](const std::vector<AggregateSpec>& aggregates) {
    for (const auto& aggregate : aggregates) {
      if (!aggregate.column.empty()) shape->reads.insert(aggregate.column);
    }
  };
  // User code and a rows window see (and output) whole input rows, in their order.
  bool whole_rows = false;
  switch (node.kind()) {
    case PlanKind::kWindowAggregate: {
      const auto& window = static_cast<const WindowAggregateNode&>(node);
      shape->keys = window.keys;
      shape->reads.insert(window.window.time_column);
      add_aggregates(window.aggregates);
      break;
    }
    case PlanKind::kAggregate: {
      // Over an endless input an aggregate is a changelog aggregate (physical_planner);
      // a bounded one runs as a parallel partial aggregation instead.
      if (IsBounded(*node.input())) return false;
      const auto& aggregate = static_cast<const AggregateNode&>(node);
      shape->keys = aggregate.keys;
      add_aggregates(aggregate.aggregates);
      break;
    }
    case PlanKind::kChangelogAggregate: {
      const auto& aggregate = static_cast<const ChangelogAggregateNode&>(node);
      shape->keys = aggregate.keys;
      if (!aggregate.time_column.empty()) shape->reads.insert(aggregate.time_column);
      add_aggregates(aggregate.aggregates);
      break;
    }
    case PlanKind::kKeyedProcess: {
      const auto& process = static_cast<const KeyedProcessNode&>(node);
      if (!process.factory->runs_in_parallel()) return false;
      shape->keys = process.keys;
      whole_rows = true;
      break;
    }
    case PlanKind::kRowsWindow:
      shape->keys = static_cast<const RowsWindowNode&>(node).keys;
      whole_rows = true;
      break;
    default:
      return false;
  }
  shape->keyed = &node;
  shape->order_sensitive = whole_rows;
  if (whole_rows) {
    shape->reads.clear();  // empty: every column is shipped
  } else {
    shape->reads.insert(shape->keys.begin(), shape->keys.end());
  }
  return !shape->keys.empty();  // no key: a single owner would hold everything
}

// The computed columns right under the keyed step (WithColumns nodes, from path[first]
// down) are computed by the owners after the exchange rather than shipped: Nexmark
// q15/q16's count(where=) inputs are six such columns over one price, and the routing
// copy of nullable columns is the costly kind. Stops at a node that computes a key (the
// routing needs it below) and when every column is shipped anyway (reads empty). Updates
// shape->reads to what the hoisted nodes and the keyed step read below them; returns the
// index in `path` of the new `below`.
size_t OwnersComputeColumnsFrom(const std::vector<const PlanNode*>& path, size_t first, KeyedExchangeShape* shape) {
  size_t below = first;
  while (!shape->reads.empty() && path[below]->kind() == PlanKind::kWithColumns) {
    const auto& with = static_cast<const WithColumnsNode&>(*path[below]);
    bool computes_key = false;
    for (const auto& c : with.columns) {
      computes_key |= std::find(shape->keys.begin(), shape->keys.end(), c.name) != shape->keys.end();
    }
    if (computes_key) break;
    for (const auto& c : with.columns) shape->reads.erase(c.name);
    for (const auto& c : with.columns) {
      for (auto& name : c.expr.ColumnRefs()) shape->reads.insert(std::move(name));
    }
    ++below;
  }
  return below;
}

}  // namespace

std::optional<KeyedExchangeShape> FindKeyedExchange(const PlanNode& body, const LoweredPlan& lowered) {
  // The path from the body down to the source, all single-input.
  std::vector<const PlanNode*> path;
  for (const PlanNode* node = &body;; node = node->input().get()) {
    path.push_back(node);
    if (node->kind() == PlanKind::kSource) break;
    if (node->inputs().size() != 1) return std::nullopt;
  }
  // The lowest keyed step: what is below it must be stateless, as every producer runs
  // its own copy of it.
  KeyedExchangeShape shape;
  shape.leaf = path.back();
  for (size_t i = path.size() - 1; i-- > 0;) {
    const PlanNode* node = path[i];
    if (IsStatelessStep(node->kind())) continue;
    if (!AsKeyedStep(*node, &shape)) return std::nullopt;
    // Its late rows come from every owner's copy of the window, with whole input rows.
    if (i > 0 && path[i - 1]->kind() == PlanKind::kLateRows) {
      shape.keyed_top = path[i - 1];
      shape.reads.clear();
    } else {
      shape.keyed_top = node;
    }
    shape.below = path[OwnersComputeColumnsFrom(path, i + 1, &shape)];
    break;
  }
  if (shape.keyed == nullptr) return std::nullopt;
  const auto& schema = *lowered.schemas.at(shape.below);
  for (const auto& key : shape.keys) {
    auto field = schema.GetFieldByName(key);
    if (field == nullptr || !IsStableKeyType(*field->type())) return std::nullopt;
  }
  return shape;
}

bool UsesKeyedExchange(const KeyedExchangeShape& shape, const ExecuteOptions& options) {
  return !shape.order_sensitive || !options.ordered || !IsBounded(*shape.leaf);
}

Result<ExecutorStats> RunKeyedExchange(const PlanNode& body, const KeyedExchangeShape& shape,
                                       const SourceSplits& partitions, LoweredPlan& lowered,
                                       const LowerOptions& lower, const ExecuteOptions& options) {
  Sink& sink = *lowered.physical.sink;
  return RunAbortingOnError(sink, [&](ExecutorStats* stats) -> Status {
    const int owners = options.threads;
    const int producers = static_cast<int>(std::min<size_t>(static_cast<size_t>(options.threads), partitions.size()));
    std::shared_ptr<Source> source = lowered.sources.at(shape.leaf);
    const auto& below_schema = lowered.schemas.at(shape.below);
    // Only the columns the keyed step reads cross the exchange (and are copied routing
    // rows).
    std::vector<int> shipped;
    for (int c = 0; c < below_schema->num_fields(); ++c) {
      if (shape.reads.empty() || shape.reads.count(below_schema->field(c)->name()) > 0) shipped.push_back(c);
    }
    arrow::FieldVector shipped_fields;
    for (int c : shipped) shipped_fields.push_back(below_schema->field(c));
    const auto keyed_input = arrow::schema(std::move(shipped_fields));
    std::vector<int> keys;
    for (const auto& key : shape.keys) keys.push_back(keyed_input->GetFieldIndex(key));

    RunControl run(options.cancel);
    std::vector<std::unique_ptr<OwnerQueue>> queues;
    for (int o = 0; o < owners; ++o) queues.push_back(std::make_unique<OwnerQueue>());

    // Every copy is lowered here, on the calling thread, before any thread starts. The
    // operators lowered before (a copy of the whole plan into the sink) are never fed.
    std::vector<OperatorChain> chains(static_cast<size_t>(producers));
    std::vector<std::unique_ptr<ExchangeSender>> senders;
    std::vector<Operator*> producer_entries;
    for (int p = 0; p < producers; ++p) {
      ARROW_ASSIGN_OR_RAISE(chains[p], LowerOperatorChain(*shape.below, source, lower));
      senders.push_back(std::make_unique<ExchangeSender>(below_schema, shipped, keys, p, &queues, &run));
      producer_entries.push_back(chains[p].EndIn(senders.back().get()));
    }
    const auto& keyed_output = lowered.schemas.at(shape.keyed_top);
    StageOutput rest_entry(keyed_output);
    ARROW_ASSIGN_OR_RAISE(auto rest, LowerPlanAbove(body, *shape.keyed_top, &rest_entry, &sink, lower));
    OwnerMerge merge(&rest_entry, owners);
    std::vector<std::unique_ptr<StageOutput>> entries;
    std::vector<std::unique_ptr<OwnerOutput>> outputs;
    std::vector<std::vector<std::unique_ptr<Operator>>> owner_operators;
    for (int o = 0; o < owners; ++o) {
      entries.push_back(std::make_unique<StageOutput>(keyed_input));
      outputs.push_back(std::make_unique<OwnerOutput>(keyed_output, o, &merge, &sink));
      // Lowered over the shipped columns: the window finds its columns by name.
      ARROW_ASSIGN_OR_RAISE(auto ops, LowerPlanAbove(*shape.keyed_top, *shape.below, entries.back().get(),
                                                     outputs.back().get(), lower));
      owner_operators.push_back(std::move(ops));
    }

    MorselProgress progress;
    std::vector<std::thread> threads;
    for (int o = 0; o < owners; ++o) {
      threads.emplace_back([&, o] {
        Status st = RunOwner(*queues[o], *entries[o], producers, run);
        if (!st.ok()) run.Fail(st);
      });
    }
    for (int p = 0; p < producers; ++p) {
      std::vector<size_t> mine;
      for (size_t i = static_cast<size_t>(p); i < partitions.size(); i += static_cast<size_t>(producers)) {
        mine.push_back(i);
      }
      threads.emplace_back([&, p, mine] {
        ProducerLoop loop(*source, partitions, mine, producer_entries[p], run, progress);
        Status st = loop.Run();
        if (!st.ok()) run.Fail(st);
      });
    }
    for (auto& t : threads) t.join();
    stats->source_rows = progress.rows.load();
    stats->source_batches = progress.batches.load();
    stats->splits = static_cast<int64_t>(partitions.size());
    stats->threads = owners;
    for (auto& queue : queues) stats->peak_queue_messages = std::max(stats->peak_queue_messages, queue->peak());
    return run.Result();
  });
}

}  // namespace sabot
