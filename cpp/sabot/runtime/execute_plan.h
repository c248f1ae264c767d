// Choosing the executor for a lowered plan and running it: the shared back half of
// RunPlan (the CLI) and RunningPlan (the language bindings).
#pragma once

#include <atomic>

#include "sabot/exec/pipeline_executor.h"
#include "sabot/runtime/physical_planner.h"

namespace sabot {

//! The thread count a job asked for, checked: 0 means one per core.
Result<int> ResolveThreads(int requested);

struct ExecuteOptions {
  //! Worker threads; 1 runs everything on the calling thread.
  int threads = 1;
  const std::atomic<bool>* cancel = nullptr;  //!< set to true to stop the run
  //! false: the job does not need source order, so a chain run on the MorselExecutor
  //! hands each morsel's output on as soon as it is ready (RunSplits). Aggregates, sorts
  //! and per-key order in streaming are unaffected; a join's output may come in another
  //! row order.
  bool ordered = true;
};

//! Runs `lowered` (the lowering of `body`, a plan without its sink, into its sink).
//!
//! With more than one thread and no memory limit (partial states of the parallel
//! executors are not accounted yet), a keyed stateful step over a source of several
//! partitions (KeyedExchangeShape, bounded or not; see UsesKeyedExchange) runs on the
//! keyed exchange. Otherwise, without a memory limit, a bounded `body` first runs each
//! subplan it reads more than once that joins or aggregates, and each shared filtered
//! scan small enough to hold (SharedSubplans, shared_subplans.h), as a plan of its own
//! (itself parallel where its shape allows), kept in memory and read back as a source; on
//! one thread the rest then runs on the single-threaded PipelineExecutor. On more threads,
//! the build side of every join that can probe from a finished table (CanBuildFirst),
//! wherever it sits, runs next, collected into one shared hash table. The body is lowered
//! again over those, and its ParallelShape (now often a chain above an aggregate or a
//! materialized subplan) runs on worker threads: on the MorselExecutor (same output, same
//! order as one thread; below a sort or top-k, into that node, which runs with the rest of
//! the plan on the calling thread) or, below an aggregate, on the ParallelAggregation with
//! the rest of the plan on the calling thread. Any other plan, or part of a plan, runs on
//! the single-threaded PipelineExecutor.
//!
//! On error the sink is aborted (no partial file output).
Result<ExecutorStats> ExecutePlan(const PlanNode& body, LoweredPlan& lowered, const LowerOptions& lower,
                                  const ExecuteOptions& options);

}  // namespace sabot
