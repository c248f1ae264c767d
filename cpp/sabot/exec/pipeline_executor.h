// PipelineExecutor: drives a PhysicalPlan on the calling thread, pulling from every
// source in turn and pushing each message through the operators to the sink.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sabot/exec/physical_plan.h"

namespace sabot {

//! One phase of a bounded run, timed on the wall clock: the operator times of
//! FormatOperatorStats add up over threads, so they cannot tell a phase that kept every
//! thread busy from one that ran on one thread while the others waited.
struct StageStats {
  std::string label;  //!< "hold Filter(...)", "build input of Join ...", "main", ...
  int depth = 0;      //!< 1 for the phases of a subplan run within a depth-0 phase, and so on
  std::chrono::nanoseconds wall{0};
  int64_t rows = 0;   //!< what the phase produced (held rows, build rows); -1 when not counted
};

struct ExecutorStats {
  int64_t source_rows = 0;
  int64_t source_batches = 0;
  int64_t splits = 0;
  std::chrono::nanoseconds wall{0};
  int threads = 1;  //!< worker threads the main pipeline ran on
  //! The most messages one queue of a keyed exchange held at once (its capacity bounds
  //! it: backpressure); 0 without an exchange.
  int64_t peak_queue_messages = 0;
  //! The phases of a bounded run on several threads, in the order they ran (shared
  //! subplans held, join build sides, then the main pipeline); empty otherwise.
  std::vector<StageStats> stages;
};

//! A table of `stages`, one line each, indented by depth: wall time, its share of `wall`
//! (the whole run) and the rows; empty when there are none.
std::string FormatStageStats(const std::vector<StageStats>& stages, std::chrono::nanoseconds wall);

//! Runs `loop` timed; when it fails, aborts `sink` so no partial output remains. The
//! shared ending of every executor.
Result<ExecutorStats> RunAbortingOnError(Sink& sink, const std::function<Status(ExecutorStats*)>& loop);

//! Single-threaded for now; the morsel executor will hand splits to worker threads,
//! each running its own copy of the operators.
class PipelineExecutor {
 public:
  //! `cancel`, when set to true from any thread (a signal handler), stops the run with
  //! a Cancelled error at the next message.
  explicit PipelineExecutor(const std::atomic<bool>* cancel = nullptr) : cancel_(cancel) {}

  //! Runs until every source ended or the sink wants nothing more. On error the sink
  //! is aborted, so no partial output remains.
  Result<ExecutorStats> Run(PhysicalPlan& plan);

 private:
  Status RunLoop(PhysicalPlan& plan, ExecutorStats* stats);
  const std::atomic<bool>* cancel_;
};

}  // namespace sabot
