// RunningPlan: a plan executing on its own engine thread while the caller takes its
// result batches one by one (Python's `for`/`async for`, C++ iteration). A bounded
// queue between them gives backpressure: a slow consumer pauses the engine.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include <arrow/type_fwd.h>

#include "sabot/exec/pipeline_executor.h"
#include "sabot/plan/plan_node.h"

namespace sabot {

struct RunningPlanOptions {
  size_t queue_batches = 8;  //!< batches buffered between engine and consumer
  //! As in RunOptions: the budget of the job's joins, aggregations and sorts (0 is
  //! unlimited), and whether passing it spills or fails.
  int64_t memory_limit_bytes = 0;
  bool allow_spill = true;
  //! Worker threads, 0 for one per core; as in RunOptions.
  int threads = 0;
  //! false: the output need not keep source order (see ExecuteOptions::ordered).
  bool ordered = true;
};

class ResultChannel;

class RunningPlan {
 public:
  enum class State : uint8_t { kBatch, kPending, kEnd };
  struct Poll {
    State state = State::kEnd;
    std::shared_ptr<arrow::RecordBatch> batch;
  };

  //! Optimizes and lowers `body` (a plan without a sink; user errors surface here) and starts it.
  static Result<std::unique_ptr<RunningPlan>> Start(PlanPtr body, RunningPlanOptions options = {});
  //! Cancels and waits for the engine thread. Whoever destroys a RunningPlan must not
  //! hold a lock the engine thread may need (in Python: release the GIL).
  ~RunningPlan();

  const std::shared_ptr<arrow::Schema>& schema() const { return schema_; }

  //! The next batch, waiting at most `timeout`: kPending when none came in time, kEnd
  //! after the last one; the job's error if it failed.
  Result<Poll> Next(std::chrono::milliseconds timeout);
  //! Stops the job; the engine thread ends promptly and Next() reports Cancelled.
  void Cancel();
  //! Waits until the engine thread has ended (after Cancel, or at the end).
  void Join();
  //! A file descriptor that is readable whenever Next() would not block: event loops
  //! (asyncio) wait on it instead of parking a thread.
  int notify_fd() const;

  //! Engine threads of RunningPlans still running in this process (for tests and
  //! leak checks: a cancelled or finished plan leaves none behind).
  static int ActiveEngineThreads();

 private:
  RunningPlan() = default;

  std::shared_ptr<arrow::Schema> schema_;
  std::shared_ptr<ResultChannel> channel_;
  std::atomic<bool> cancel_{false};
  std::thread engine_;
};

}  // namespace sabot
