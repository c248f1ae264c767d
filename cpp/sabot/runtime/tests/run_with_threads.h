// RunWith: a plan's result on a given number of threads, for tests that compare thread counts.
#pragma once

#include <memory>

#include <arrow/table.h>

#include "sabot/runtime/run.h"

namespace sabot::testing {

//! The plan's collected rows as one-chunk columns, run on `threads` worker threads.
inline Result<std::shared_ptr<arrow::Table>> RunWith(const PlanPtr& plan, int threads) {
  RunOptions options;
  options.threads = threads;
  ARROW_ASSIGN_OR_RAISE(auto result, RunPlan(*plan, options));
  ARROW_ASSIGN_OR_RAISE(auto table, result.ToTable());
  return table->CombineChunks();
}

}  // namespace sabot::testing
