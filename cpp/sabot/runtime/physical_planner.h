// The physical planner: lowers a logical plan into sources and wired operators,
// binding every expression to its input schema (where user errors surface).
#pragma once

#include <functional>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sabot/exec/memory_budget.h"
#include "sabot/exec/morsel_executor.h"
#include "sabot/exec/physical_plan.h"
#include "sabot/io/sink_factory.h"
#include "sabot/ops/hash_join.h"
#include "sabot/plan/plan_node.h"

namespace sabot {

struct LoweredPlan {
  PhysicalPlan physical;
  //! The output schema of every plan node, for explain.
  std::map<const PlanNode*, std::shared_ptr<arrow::Schema>> schemas;
  //! The source opened for each source node.
  std::map<const PlanNode*, std::shared_ptr<Source>> sources;
  //! Aggregates whose input carries some keys still dictionary-encoded (as read from
  //! Parquet): they group them so and output them decoded (HashAggregateState::Make's
  //! decode_dictionary_keys), so schemas[] shows dictionaries below them (the types
  //! the operators pass; ResolveSchemas gives the plan's).
  std::set<const PlanNode*> aggregates_decoding_keys;
};

//! What the lowered operators share beyond the plan itself.
struct LowerOptions {
  //! The job's memory budget, handed to the stateful operators (join, aggregate, sort);
  //! null: unlimited.
  std::shared_ptr<MemoryBudget> memory;
  //! Joins whose build side a parallel run finished beforehand: they lower to a
  //! probe-only copy over it (see MakeHashJoinProbe), and their right input is not lowered.
  std::map<const PlanNode*, JoinBuildSide> built_joins;
  //! Nodes whose output a parallel run computed beforehand (subplans the plan reads more
  //! than once): they lower to an in-memory source over it, and their inputs are not lowered.
  std::map<const PlanNode*, std::shared_ptr<arrow::Table>> materialized;
  //! Where each lowered operator counts rows and time (every copy of a node into the
  //! node's slot); null counts nothing. See MakePlanMetrics.
  std::shared_ptr<PlanMetrics> metrics;
  //! Group keys that bounded aggregates take as Parquet read them, dictionary-encoded,
  //! across joins (PlanKeysEncodedAcrossJoins): by filter over a Parquet source, or by
  //! Parquet source read without one, the columns its output leaves encoded wherever it
  //! is lowered (a join's build side runs as a plan of its own, before the plan above it
  //! is lowered again) ...
  std::map<const PlanNode*, std::vector<std::string>> scans_leaving_keys_encoded;
  //! ... and the aggregates that group those keys so and output them decoded.
  std::set<const PlanNode*> aggregates_decoding_joined_keys;
};

//! Late decoding of group keys (Lowering's LeaveKeysEncoded and, across joins,
//! PlanKeysEncodedAcrossJoins): whether `aggregate` may take its keys still encoded, as
//! read: its input is bounded, it has keys, and no accumulator reads one (it would read
//! a dictionary).
bool MayTakeKeysEncoded(const AggregateNode& aggregate);
//! Whether `node`, a projection or with_columns, passes every one of `keys` on unchanged
//! (under its own name) and computes nothing from them; false for other nodes.
bool PassesKeysOn(const PlanNode& node, const std::vector<std::string>& keys);
//! Whether keys of `types` are worth leaving encoded: DictKeyGrouper takes them all and
//! at least one is a dictionary.
bool GroupsEncodedKeys(const std::vector<std::shared_ptr<arrow::DataType>>& types);

//! A slot per node of the plan under `root`, in explain order (root first).
std::shared_ptr<PlanMetrics> MakePlanMetrics(const PlanNode& root);

//! `root` must be a sink. `output` receives what in-memory sinks produce.
Result<LoweredPlan> LowerPlan(const PlanNode& root, SinkOutput* output, const LowerOptions& options = {});

using SinkFactory = std::function<Result<std::unique_ptr<Sink>>(const std::shared_ptr<arrow::Schema>&)>;

//! Lowers a plan that does not end in a sink, feeding its output to the sink that
//! `make_sink` builds for the output schema (how results are streamed to a caller).
Result<LoweredPlan> LowerPlanWithSink(const PlanNode& body, const SinkFactory& make_sink,
                                      const LowerOptions& options = {});

//! The part of a plan the parallel executors run on worker threads: a chain from one
//! bounded source (`leaf`) up to `top` through single-input stateless operators (filter,
//! project, with_columns, rename, explode) and joins that probe on the chain's side (over a
//! bounded build side, which runs before, as a plan of its own; a right or full join's
//! unmatched build rows come out of one chain copy at the end, see MakeHashJoinProbe).
struct ParallelShape {
  //! A source, or a materialized node (LowerOptions::materialized).
  const PlanNode* leaf = nullptr;
  const PlanNode* top = nullptr;
  //! Null: `top` is the plan's body and the workers' output goes to the sink in source
  //! order (MorselExecutor). Otherwise the aggregate above `top`, which the workers feed
  //! partial states of; the nodes above it run on one thread (ParallelAggregation).
  const AggregateNode* aggregate = nullptr;
  //! The chain's joins, top first.
  std::vector<const PlanNode*> joins;
  //! Null, or (when `aggregate` is null) the sort or top-k right above `top`, which reads
  //! all its input before emitting anything: the workers' output goes into it in source
  //! order, and it and the nodes above run on the calling thread.
  const PlanNode* sort = nullptr;
};

//! The parallel part of `body` (a plan without its sink): the whole body when it is such a
//! chain, else the chain below the first aggregate, sort or top-k reached from the top
//! through single-input nodes and the probe side of the joins in `done.built_joins` (whose
//! build side ran before: they probe like single-input nodes); nullopt when neither exists.
//! A node in `done.materialized` is a bounded source.
std::optional<ParallelShape> FindParallelShape(const PlanNode& body, const LowerOptions& done = {});

//! Whether `join`'s build side can run first, as a plan of its own, and be probed by
//! probe-only copies (MakeHashJoinProbe): a hash join (not a changelog join) over a
//! bounded build side.
bool CanBuildFirst(const PlanNode& join);

//! Lowers `body` again, with `options` (typically more built joins than when it was lowered
//! first), into `sink`, a sink an earlier lowering of `body` created: the plan's sources
//! are opened once more.
Result<LoweredPlan> LowerPlanInto(const PlanNode& body, Sink* sink, const LowerOptions& options);

//! The operators of the nodes of `body` above `stage` (all single-input), lowered over
//! `entry`, which stands for `stage`'s output (its output_schema must be `stage`'s), and
//! wired into `sink`: the rest of a plan that a finished stage's result is pushed into.
Result<std::vector<std::unique_ptr<Operator>>> LowerPlanAbove(const PlanNode& body, const PlanNode& stage,
                                                              Operator* entry, Sink* sink,
                                                              const LowerOptions& options = {});

//! One more copy of the operators of `body` (a ParallelShape's chain up to its `top`),
//! reading from `source`, the source that lowering `body` already opened: the operator
//! chain of one more worker thread. `options.built_joins` must hold the chain's joins.
//! `consumer`: the node the chain feeds (an aggregate may take its keys undecoded, see
//! LoweredPlan::aggregates_decoding_keys), lowered apart.
Result<OperatorChain> LowerOperatorChain(const PlanNode& body, std::shared_ptr<Source> source,
                                         const LowerOptions& options = {}, const PlanNode* consumer = nullptr);

//! Lowers everything below the sink (opening sources to learn their schemas, but
//! creating no output) and returns the schemas by node.
Result<std::map<const PlanNode*, std::shared_ptr<arrow::Schema>>> ResolveSchemas(const PlanNode& root);

}  // namespace sabot
