// Running a plan in this process: lower it, execute it, report what it produced.
// The entry point of the CLI and the language bindings.
#pragma once

#include <atomic>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/exec/pipeline_executor.h"
#include "sabot/plan/plan_node.h"

namespace sabot {

struct RunOptions {
  const std::atomic<bool>* cancel = nullptr;  //!< set to true to stop the job
  std::ostream* print_to = nullptr;           //!< print sinks; null is stdout
};

struct RunResult {
  int64_t rows_written = 0;
  std::shared_ptr<arrow::Schema> schema;  //!< of the rows the sink received
  std::vector<std::shared_ptr<arrow::RecordBatch>> collected;  //!< collect sinks only
  ExecutorStats stats;

  Result<std::shared_ptr<arrow::Table>> ToTable() const;
};

Result<RunResult> RunPlan(const PlanNode& root, const RunOptions& options = {});

//! The plan tree with each node's output columns and types.
Result<std::string> ExplainPlan(const PlanNode& root);

}  // namespace sabot
