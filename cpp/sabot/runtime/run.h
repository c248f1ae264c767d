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
  //! Memory the job's joins, aggregations and sorts may hold together; 0 is unlimited.
  int64_t memory_limit_bytes = 0;
  //! Past the limit, spill to disk (true) or fail with a clear error (false).
  bool allow_spill = true;
  //! Where spill files go (a fresh folder inside it, removed after the job); empty is
  //! the system's temporary folder.
  std::string spill_directory;
  //! Worker threads, 0 for one per core; which parts of a plan use them: see ExecutePlan.
  int threads = 0;
  //! false: the output need not keep source order (see ExecuteOptions::ordered).
  bool ordered = true;
};

struct RunResult {
  int64_t rows_written = 0;
  std::shared_ptr<arrow::Schema> schema;  //!< of the rows the sink received
  std::vector<std::shared_ptr<arrow::RecordBatch>> collected;  //!< collect sinks only
  ExecutorStats stats;
  //! Per plan step (explain order, the sink first): rows, batches, own time; see
  //! FormatOperatorStats.
  std::vector<OperatorStats> operators;
  int64_t spill_files = 0;    //!< spill files written (0 when everything fit)
  int64_t spilled_bytes = 0;  //!< bytes written to them
  int64_t peak_memory = 0;    //!< the most the stateful operators held at once, as accounted

  Result<std::shared_ptr<arrow::Table>> ToTable() const;
};

//! Runs `root` (a plan ending in a sink), optimized first (OptimizePlan).
Result<RunResult> RunPlan(const PlanNode& root, const RunOptions& options = {});

//! The optimized plan tree with each node's output columns and types.
Result<std::string> ExplainPlan(const PlanNode& root);

}  // namespace sabot
