// RunPlan and ExplainPlan.
#include "sabot/runtime/run.h"

#include <arrow/table.h>
#include <arrow/type.h>

#include "sabot/common/type_names.h"
#include "sabot/runtime/plan_facts.h"
#include "sabot/runtime/execute_plan.h"
#include "sabot/runtime/job_memory_release.h"
#include "sabot/runtime/physical_planner.h"

namespace sabot {

Result<std::shared_ptr<arrow::Table>> RunResult::ToTable() const {
  return arrow::Table::FromRecordBatches(schema, collected);
}

Result<RunResult> RunPlan(const PlanNode& plan, const RunOptions& options) {
  JobMemoryRelease release;
  const PlanPtr optimized = OptimizeWithFacts(plan);
  const PlanNode& root = *optimized;
  SinkOutput output;
  output.print_to = options.print_to;
  if (options.memory_limit_bytes < 0) {
    return Status::Invalid("the memory limit must not be negative, got ", options.memory_limit_bytes);
  }
  ARROW_ASSIGN_OR_RAISE(const int threads, ResolveThreads(options.threads));
  LowerOptions lower;
  // The budget also counts without a limit: the peak it records is reported.
  lower.memory = std::make_shared<MemoryBudget>(
      MemoryBudget::Options{options.memory_limit_bytes, options.allow_spill, options.spill_directory});
  lower.metrics = MakePlanMetrics(root);
  ARROW_ASSIGN_OR_RAISE(auto lowered, LowerPlan(root, &output, lower));
  ARROW_ASSIGN_OR_RAISE(auto stats, ExecutePlan(*root.input(), lowered, lower, {threads, options.cancel, options.ordered}));
  RunResult result;
  result.spill_files = lower.memory->spill_files();
  result.spilled_bytes = lower.memory->spilled_bytes();
  result.peak_memory = lower.memory->peak();
  result.rows_written = output.rows;
  result.schema = lowered.schemas.at(&root);
  result.collected = std::move(output.collected);
  result.stats = stats;
  result.operators = lower.metrics->Snapshot();
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

Result<std::string> ExplainPlan(const PlanNode& plan) {
  const PlanPtr root = OptimizeWithFacts(plan);
  ARROW_ASSIGN_OR_RAISE(auto schemas, ResolveSchemas(*root));
  std::string out;
  ExplainInto(*root, schemas, 0, &out);
  return out;
}

}  // namespace sabot
