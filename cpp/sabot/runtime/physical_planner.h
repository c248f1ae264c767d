// The physical planner: lowers a logical plan into sources and wired operators,
// binding every expression to its input schema (where user errors surface).
#pragma once

#include <functional>
#include <map>
#include <memory>

#include "sabot/exec/memory_budget.h"
#include "sabot/exec/morsel_executor.h"
#include "sabot/exec/physical_plan.h"
#include "sabot/io/sink_factory.h"
#include "sabot/plan/plan_node.h"

namespace sabot {

struct LoweredPlan {
  PhysicalPlan physical;
  //! The output schema of every plan node, for explain.
  std::map<const PlanNode*, std::shared_ptr<arrow::Schema>> schemas;
};

//! What the lowered operators share beyond the plan itself.
struct LowerOptions {
  //! The job's memory budget, handed to the stateful operators (join, aggregate, sort);
  //! null: unlimited.
  std::shared_ptr<MemoryBudget> memory;
};

//! `root` must be a sink. `output` receives what in-memory sinks produce.
Result<LoweredPlan> LowerPlan(const PlanNode& root, SinkOutput* output, const LowerOptions& options = {});

using SinkFactory = std::function<Result<std::unique_ptr<Sink>>(const std::shared_ptr<arrow::Schema>&)>;

//! Lowers a plan that does not end in a sink, feeding its output to the sink that
//! `make_sink` builds for the output schema (how results are streamed to a caller).
Result<LoweredPlan> LowerPlanWithSink(const PlanNode& body, const SinkFactory& make_sink,
                                      const LowerOptions& options = {});

//! Whether `root` (a sink) reads one source through stateless single-input operators
//! only (filter, project, with_columns, rename, explode): what MorselExecutor runs.
bool IsStatelessPipeline(const PlanNode& root);

//! The aggregate of a plan (a sink) shaped "one source -> stateless single-input
//! operators -> aggregate -> any single-input operators -> sink", the lowest such; null
//! for any other shape. What ParallelAggregation runs (the part up to the aggregate).
const AggregateNode* FindParallelAggregate(const PlanNode& root);

//! The operators of the nodes strictly between `stage` and the sink `root` (all
//! single-input), lowered over `entry`, which stands for `stage`'s output (its
//! output_schema must be `stage`'s), and wired into `sink`: the rest of a plan that a
//! finished stage's result is pushed into.
Result<std::vector<std::unique_ptr<Operator>>> LowerPlanAbove(const PlanNode& root, const PlanNode& stage,
                                                              Operator* entry, Sink* sink,
                                                              const LowerOptions& options = {});

//! One more copy of the operators of `body` (a stateless pipeline without its sink, see
//! IsStatelessPipeline), reading from `source`, the source that lowering `body` already
//! opened: the operator chain of one more worker thread.
Result<OperatorChain> LowerOperatorChain(const PlanNode& body, std::shared_ptr<Source> source,
                                         const LowerOptions& options = {});

//! Lowers everything below the sink (opening sources to learn their schemas, but
//! creating no output) and returns the schemas by node.
Result<std::map<const PlanNode*, std::shared_ptr<arrow::Schema>>> ResolveSchemas(const PlanNode& root);

}  // namespace sabot
