// ExecutePlan: the parallel shape first, the single-threaded pipeline otherwise.
#include "sabot/runtime/execute_plan.h"

#include <algorithm>
#include <thread>

#include <arrow/table.h>
#include <arrow/util/byte_size.h>

#include "sabot/exec/morsel_executor.h"
#include "sabot/exec/morsel_reader.h"
#include "sabot/runtime/keyed_exchange.h"
#include "sabot/runtime/keys_across_joins.h"
#include "sabot/runtime/parallel_aggregation.h"
#include "sabot/runtime/shared_subplans.h"

namespace sabot {

namespace {

void Add(const ExecutorStats& part, ExecutorStats* total) {
  total->source_rows += part.source_rows;
  total->source_batches += part.source_batches;
  total->splits += part.splits;
}

using Clock = std::chrono::steady_clock;

// Records the phase `label`, run from `start` to now and producing `rows`, followed one
// level deeper by the phases of the subplan run within it (`inner`).
void AddStage(ExecutorStats* stats, std::string label, Clock::time_point start, int64_t rows,
              const std::vector<StageStats>& inner = {}) {
  stats->stages.push_back({std::move(label), 0, Clock::now() - start, rows});
  for (StageStats stage : inner) {
    ++stage.depth;
    stats->stages.push_back(std::move(stage));
  }
}

// The sink of a parallel chain whose output goes on into the rest of the plan (a sort and
// what is above it, lowered over a StageOutput): the MorselExecutor pushes into it on the
// calling thread, in source order; aborting it aborts the plan's sink.
class StageSink final : public Sink {
 public:
  StageSink(Operator* entry, Sink* sink) : Sink(entry->output_schema()), entry_(entry), sink_(sink) {}
  std::string_view name() const override { return "StageSink"; }
  Result<Flow> Push(int, Message message) override { return entry_->Push(0, std::move(message)); }
  Status Abort() override { return sink_->Abort(); }

 private:
  Operator* entry_;
  Sink* sink_;
};

// Runs `node`'s plan (as a plan of its own, parallel where its shape allows) to its end
// and returns its rows, as one table.
Result<std::shared_ptr<arrow::Table>> RunSubplan(const PlanNode& node, const LowerOptions& lower,
                                                 const ExecuteOptions& options, ExecutorStats* stats,
                                                 std::vector<StageStats>* stages) {
  SinkOutput output;
  SinkSpec collect;
  collect.kind = SinkSpec::Kind::kCollect;
  ARROW_ASSIGN_OR_RAISE(auto lowered, LowerPlanWithSink(node, [&](const std::shared_ptr<arrow::Schema>& schema) {
    return MakeSink(collect, schema, &output);
  }, lower));
  ARROW_ASSIGN_OR_RAISE(auto run_stats, ExecutePlan(node, lowered, lower, options));
  Add(run_stats, stats);
  *stages = std::move(run_stats.stages);
  return arrow::Table::FromRecordBatches(lowered.schemas.at(&node), std::move(output.collected));
}

// Runs the right input of `join` to its end and finishes its hash table.
Result<JoinBuildSide> RunBuildSide(const PlanNode& join, const LoweredPlan& lowered, const LowerOptions& lower,
                                   const ExecuteOptions& options, ExecutorStats* stats) {
  const PlanNode& right = *join.inputs()[1];
  auto start = Clock::now();
  std::vector<StageStats> inner;
  ARROW_ASSIGN_OR_RAISE(auto rows, RunSubplan(right, lower, options, stats, &inner));
  AddStage(stats, "build input of " + join.Describe(), start, rows->num_rows(), inner);
  start = Clock::now();
  arrow::TableBatchReader reader(*rows);
  ARROW_ASSIGN_OR_RAISE(auto batches, reader.ToRecordBatches());
  auto built = BuildJoinSide(lowered.schemas.at(join.inputs()[0].get()), rows->schema(),
                             static_cast<const JoinNode&>(join).spec, batches, options.threads);
  AddStage(stats, "hash table of " + join.Describe(), start, rows->num_rows());
  return built;
}

// The joins of `node`'s plan whose build side can run first, outside the build sides of
// other such joins (those run inside their own plan) and materialized nodes, top first.
void CollectJoinsToBuild(const PlanNode& node, const LowerOptions& done, std::vector<const PlanNode*>* joins) {
  if (done.materialized.count(&node) > 0) return;
  if (CanBuildFirst(node)) {
    joins->push_back(&node);
    CollectJoinsToBuild(*node.inputs()[0], done, joins);
    return;
  }
  for (const auto& input : node.inputs()) CollectJoinsToBuild(*input, done, joins);
}

// The build sides are held until the run ends; their memory counts in the job's peak.
using BuildMemory = std::vector<std::unique_ptr<MemoryReservation>>;

// Runs the build side of every join in `joins` not built yet and records it in `lower`.
Status BuildJoins(const std::vector<const PlanNode*>& joins, const LoweredPlan& lowered, LowerOptions* lower,
                  const ExecuteOptions& options, BuildMemory* memory, ExecutorStats* stats) {
  for (const PlanNode* join : joins) {
    if (lower->built_joins.count(join) > 0) continue;
    auto built = RunBuildSide(*join, lowered, *lower, options, stats);
    if (!built.ok()) {
      (void)lowered.physical.sink->Abort();
      return built.status();
    }
    memory->push_back(std::make_unique<MemoryReservation>(lower->memory));
    memory->back()->Resize(built->memory_bytes);
    lower->built_joins[join] = std::move(built).ValueUnsafe();
  }
  return Status::OK();
}

// Runs each of `nodes` to its end and records its rows in `lower`.
Status Materialize(const std::vector<const PlanNode*>& nodes, const LoweredPlan& lowered, LowerOptions* lower,
                   const ExecuteOptions& options, BuildMemory* memory, ExecutorStats* stats) {
  for (const PlanNode* node : nodes) {
    const auto start = Clock::now();
    std::vector<StageStats> inner;
    auto rows = RunSubplan(*node, *lower, options, stats, &inner);
    if (!rows.ok()) {
      (void)lowered.physical.sink->Abort();
      return rows.status();
    }
    AddStage(stats, "hold " + node->Describe(), start, (*rows)->num_rows(), inner);
    memory->push_back(std::make_unique<MemoryReservation>(lower->memory));
    memory->back()->Resize(arrow::util::TotalBufferSize(**rows));
    lower->materialized[node] = std::move(rows).ValueUnsafe();
  }
  return Status::OK();
}

// The aggregate the parallel part of `body` ends in (FindParallelShape), when the nodes
// above it join or aggregate again; null otherwise. ParallelAggregation pushes its result
// through those nodes on the calling thread: TPC-H Q13's count of orders per customer
// (1M groups) went through a join and a second aggregate of 1.5M rows on one thread while
// 15 waited, 0.17 s of its 0.6 s on 16 cores. Held instead (its result is in memory
// anyway before it is pushed on), it is a source that the rest reads on every thread.
const PlanNode* AggregateToHold(const PlanNode& body, const LowerOptions& done) {
  const std::optional<ParallelShape> shape = FindParallelShape(body, done);
  if (!shape || shape->aggregate == nullptr) return nullptr;
  for (const PlanNode* node = &body; node != shape->aggregate; node = node->inputs().front().get()) {
    switch (node->kind()) {
      case PlanKind::kAggregate:
      case PlanKind::kDistinct:
      case PlanKind::kJoin:
        return shape->aggregate;
      default:
        break;
    }
  }
  return nullptr;
}

Status RunParallel(const PlanNode& body, const ParallelShape& shape, const SourceSplits& splits,
                   LoweredPlan& lowered, LowerOptions lower, ExecuteOptions options, ExecutorStats* stats) {
  Sink& sink = *lowered.physical.sink;
  BuildMemory build_memory;
  ARROW_RETURN_NOT_OK(BuildJoins(shape.joins, lowered, &lower, options, &build_memory, stats));
  // Each worker gets its own copy of the chain, over the source already opened; the copy
  // lowered before feeds nothing but is cheap (expressions bound once more).
  std::shared_ptr<Source> source = lowered.sources.at(shape.leaf);
  // More workers than splits would only wait.
  const int workers = static_cast<int>(std::min<size_t>(static_cast<size_t>(options.threads), splits.size()));
  auto make_chain = [&] { return LowerOperatorChain(*shape.top, source, lower, shape.aggregate); };
  ExecutorStats run_stats;
  if (shape.aggregate == nullptr && shape.sort == nullptr) {
    MorselExecutor executor({workers, /*max_pending_morsels=*/0, options.cancel, options.ordered});
    ARROW_ASSIGN_OR_RAISE(run_stats, executor.Run(*source, splits, make_chain, sink));
  } else if (shape.aggregate == nullptr) {
    // The sort and the rest of the plan are lowered once more over the chain's output.
    StageOutput chain_output(lowered.schemas.at(shape.top));
    auto rest = LowerPlanAbove(body, *shape.top, &chain_output, &sink, lower);
    if (!rest.ok()) {
      (void)sink.Abort();
      return rest.status();
    }
    StageSink stage(&chain_output, &sink);
    MorselExecutor executor({workers, /*max_pending_morsels=*/0, options.cancel, options.ordered});
    ARROW_ASSIGN_OR_RAISE(run_stats, executor.Run(*source, splits, make_chain, stage));
  } else {
    // The rest of the plan is lowered once more over the aggregate's result, into the
    // sink lowered before (whose own upstream copy is never fed).
    const AggregateNode& aggregate = *shape.aggregate;
    auto prototype =
        HashAggregateState::Make(lowered.schemas.at(shape.top), aggregate.keys, aggregate.aggregates,
                                 lowered.aggregates_decoding_keys.count(&aggregate) > 0);
    if (!prototype.ok()) {
      (void)sink.Abort();  // lowering the whole plan succeeded, so this is not expected
      return prototype.status();
    }
    OperatorMetrics* metrics = lower.metrics ? lower.metrics->Find(&aggregate) : nullptr;
    StageOutput result_entry((*prototype)->output_schema());
    result_entry.SetMetrics(metrics);  // counts the result as the aggregate's output
    auto rest = LowerPlanAbove(body, aggregate, &result_entry, &sink, lower);
    if (!rest.ok()) {
      (void)sink.Abort();
      return rest.status();
    }
    ParallelAggregation executor({workers, /*max_pending_splits=*/0, options.cancel, metrics});
    ARROW_ASSIGN_OR_RAISE(run_stats, executor.Run(*source, splits, make_chain, **prototype, result_entry, sink));
  }
  Add(run_stats, stats);
  stats->threads = workers;
  return Status::OK();
}

}  // namespace

Result<int> ResolveThreads(int requested) {
  if (requested < 0) return Status::Invalid("threads must be at least 1 (or 0 for one per core), got ", requested);
  if (requested > 0) return requested;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

Result<ExecutorStats> ExecutePlan(const PlanNode& body, LoweredPlan& lowered, const LowerOptions& lower,
                                  const ExecuteOptions& options) {
  SABOT_CHECK(options.threads >= 1);  // callers check the user's setting
  const bool unlimited = lower.memory == nullptr || lower.memory->unlimited();
  if (options.threads > 1 && unlimited) {
    // A keyed stateful step over a source of several partitions runs on the keyed
    // exchange: each key group's state has one owner thread.
    if (auto keyed = FindKeyedExchange(body, lowered); keyed && UsesKeyedExchange(*keyed, options)) {
      Source& source = *lowered.sources.at(keyed->leaf);
      ARROW_ASSIGN_OR_RAISE(auto partitions, PartitionsOrAbort(source, options.threads, *lowered.physical.sink));
      if (partitions.size() >= 2) return RunKeyedExchange(body, *keyed, partitions, lowered, lower, options);
    }
  }
  if (!unlimited) {
    PipelineExecutor executor(options.cancel);
    return executor.Run(lowered.physical);
  }
  const auto start = std::chrono::steady_clock::now();
  ExecutorStats stats;
  // A bounded plan computes its shared subplans once (on one thread too: the
  // single-threaded pipeline would compute each again for every reader), then builds
  // every join's hash table, each a plan of its own that is itself parallel where its
  // shape allows, wherever the join sits: over a small probe input (one split) or above
  // an aggregate, a build run in the single-threaded pipeline would hold back the whole
  // plan. What is left is then more often a chain, from a source or a materialized
  // subplan. On one thread too: the pipeline reads its sources in turns, so a join held
  // every probe batch that came before its build side ended (TPC-H Q18 at SF10 held 15M
  // orders while the aggregate below its build side ran: 1374 MiB peak).
  BuildMemory held;
  LowerOptions done = lower;
  if (IsBounded(body)) {
    ARROW_RETURN_NOT_OK(Materialize(SharedSubplans(body, lowered, done), lowered, &done, options, &held, &stats));
    PlanKeysEncodedAcrossJoins(body, lowered, &done);
    std::vector<const PlanNode*> joins;
    CollectJoinsToBuild(body, done, &joins);
    ARROW_RETURN_NOT_OK(BuildJoins(joins, lowered, &done, options, &held, &stats));
    if (options.threads > 1) {
      while (const PlanNode* aggregate = AggregateToHold(body, done)) {
        ARROW_RETURN_NOT_OK(Materialize({aggregate}, lowered, &done, options, &held, &stats));
      }
    }
  }
  LoweredPlan relowered;
  LoweredPlan* plan = &lowered;
  if (done.built_joins.size() > lower.built_joins.size() || done.materialized.size() > lower.materialized.size()) {
    // Lowered again: the built joins only probe, materialized subplans are sources.
    auto again = LowerPlanInto(body, lowered.physical.sink, done);
    if (!again.ok()) {
      (void)lowered.physical.sink->Abort();
      return again.status();
    }
    relowered = std::move(again).ValueUnsafe();
    plan = &relowered;
  }
  const auto main_start = Clock::now();
  if (options.threads == 1) {
    PipelineExecutor executor(options.cancel);
    ARROW_ASSIGN_OR_RAISE(auto run_stats, executor.Run(plan->physical));
    if (plan == &lowered) return run_stats;  // nothing ran before
    Add(run_stats, &stats);
    AddStage(&stats, "main on one thread", main_start, -1);
    stats.wall = std::chrono::steady_clock::now() - start;
    return stats;
  }
  std::optional<ParallelShape> shape = FindParallelShape(body, done);
  // A source of one split (a small input, a rate-limited generator) has nothing to
  // spread over threads, and the single-threaded run streams its output as it comes
  // instead of a morsel at a time: a tiny input pays nothing for parallelism.
  SourceSplits splits;
  if (shape) {
    ARROW_ASSIGN_OR_RAISE(splits, SplitsOrAbort(*plan->sources.at(shape->leaf), *plan->physical.sink));
    if (splits.size() < 2) shape.reset();
  }
  if (shape) {
    ARROW_RETURN_NOT_OK(RunParallel(body, *shape, splits, *plan, done, options, &stats));
  } else {
    PipelineExecutor executor(options.cancel);
    ARROW_ASSIGN_OR_RAISE(auto run_stats, executor.Run(plan->physical));
    Add(run_stats, &stats);
  }
  AddStage(&stats, shape ? "main on " + std::to_string(stats.threads) + " threads" : "main on one thread",
           main_start, -1);
  stats.wall = std::chrono::steady_clock::now() - start;
  return stats;
}

}  // namespace sabot
