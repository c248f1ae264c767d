// RunPlan and ExplainPlan.
#include "sabot/runtime/run.h"

#include <arrow/table.h>
#include <arrow/type.h>

#include "sabot/common/type_names.h"
#include "sabot/runtime/parallel_aggregation.h"
#include "sabot/runtime/physical_planner.h"

namespace sabot {

Result<std::shared_ptr<arrow::Table>> RunResult::ToTable() const {
  return arrow::Table::FromRecordBatches(schema, collected);
}

Result<RunResult> RunPlan(const PlanNode& root, const RunOptions& options) {
  SinkOutput output;
  output.print_to = options.print_to;
  if (options.memory_limit_bytes < 0) {
    return Status::Invalid("the memory limit must not be negative, got ", options.memory_limit_bytes);
  }
  if (options.threads < 1) return Status::Invalid("threads must be at least 1, got ", options.threads);
  LowerOptions lower;
  // The budget also counts without a limit: the peak it records is reported.
  lower.memory = std::make_shared<MemoryBudget>(
      MemoryBudget::Options{options.memory_limit_bytes, options.allow_spill, options.spill_directory});
  ARROW_ASSIGN_OR_RAISE(auto lowered, LowerPlan(root, &output, lower));
  ExecutorStats stats;
  const auto& sources = lowered.physical.sources;
  // Partial aggregates are not accounted in the budget, so only without a memory limit.
  const AggregateNode* aggregate = options.threads > 1 && options.memory_limit_bytes == 0
                                       ? FindParallelAggregate(root)
                                       : nullptr;
  if (options.threads > 1 && IsStatelessPipeline(root) && sources.size() == 1 && sources.front().source->bounded()) {
    // Each worker gets its own copy of the operators, over the source already opened;
    // the copy lowered above feeds nothing but is cheap (expressions bound once more).
    auto source = sources.front().source;
    MorselExecutor executor({options.threads, /*max_pending_morsels=*/0, options.cancel});
    ARROW_ASSIGN_OR_RAISE(stats, executor.Run(*source, [&] { return LowerOperatorChain(*root.input(), source, lower); },
                                              *lowered.physical.sink));
  } else if (aggregate != nullptr && sources.size() == 1 && sources.front().source->bounded()) {
    // The part up to the aggregate runs on the workers; the rest of the plan is lowered
    // once more over the aggregate's result, into the sink lowered above (whose own
    // upstream copy is never fed).
    auto source = sources.front().source;
    const auto& agg_input = lowered.schemas.at(aggregate->input().get());
    Sink* sink = lowered.physical.sink;
    auto prototype = HashAggregateState::Make(agg_input, aggregate->keys, aggregate->aggregates);
    if (!prototype.ok()) {
      (void)sink->Abort();  // lowering the whole plan above succeeded, so this is not expected
      return prototype.status();
    }
    StageOutput result_entry((*prototype)->output_schema());
    auto rest = LowerPlanAbove(root, *aggregate, &result_entry, sink, lower);
    if (!rest.ok()) {
      (void)sink->Abort();
      return rest.status();
    }
    ParallelAggregation executor({options.threads, /*max_pending_splits=*/0, options.cancel});
    ARROW_ASSIGN_OR_RAISE(
        stats, executor.Run(*source, [&] { return LowerOperatorChain(*aggregate->input(), source, lower); },
                            **prototype, result_entry, *sink));
  } else {
    PipelineExecutor executor(options.cancel);
    ARROW_ASSIGN_OR_RAISE(stats, executor.Run(lowered.physical));
  }
  RunResult result;
  result.spill_files = lower.memory->spill_files();
  result.spilled_bytes = lower.memory->spilled_bytes();
  result.peak_memory = lower.memory->peak();
  result.rows_written = output.rows;
  result.schema = lowered.schemas.at(&root);
  result.collected = std::move(output.collected);
  result.stats = stats;
  return result;
}

namespace {

void ExplainInto(const PlanNode& node, const std::map<const PlanNode*, std::shared_ptr<arrow::Schema>>& schemas,
                 int depth, std::string* out) {
  const std::string indent(static_cast<size_t>(depth) * 2, ' ');
  out->append(indent).append(node.Describe()).push_back('\n');
  auto it = schemas.find(&node);
  if (it != schemas.end()) {
    std::vector<std::string> columns;
    for (const auto& f : it->second->fields()) columns.push_back(f->name() + ": " + FormatDataType(*f->type()));
    out->append(indent).append("  -> ").append(JoinNames(columns)).push_back('\n');
  }
  for (const auto& input : node.inputs()) ExplainInto(*input, schemas, depth + 1, out);
}

}  // namespace

Result<std::string> ExplainPlan(const PlanNode& root) {
  ARROW_ASSIGN_OR_RAISE(auto schemas, ResolveSchemas(root));
  std::string out;
  ExplainInto(root, schemas, 0, &out);
  return out;
}

}  // namespace sabot
