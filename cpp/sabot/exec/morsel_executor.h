// MorselExecutor: runs "bounded source -> stateless operators -> sink" on a pool of
// worker threads, one split (morsel) per task, emitting to the sink in source order.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "sabot/exec/operator.h"
#include "sabot/exec/pipeline_executor.h"
#include "sabot/exec/source.h"

namespace sabot {

//! One worker thread's copy of a pipeline's single-input operators, wired in order.
//! Its operator instances are that thread's local state.
struct OperatorChain {
  std::vector<std::unique_ptr<Operator>> operators;  //!< owned
  Operator* head = nullptr;  //!< receives the source's messages; null when there are no operators
  Operator* tail = nullptr;  //!< the last operator; the executor connects its output

  //! Feeds the chain's output into `end`; returns where a split's messages go in (the
  //! head, or `end` itself when the chain has no operators).
  Operator* EndIn(Operator* end) {
    if (tail == nullptr) return end;
    tail->ConnectTo(end, 0);
    return head;
  }
};

//! Builds one more copy of the chain; called once per worker, on the calling thread.
using OperatorChainFactory = std::function<Result<OperatorChain>()>;

struct MorselExecutorOptions {
  int threads = 2;
  //! Morsels handed out but not yet emitted to the sink, at most (their output is
  //! what is buffered, so this bounds memory); 0 means 2 * threads.
  int max_pending_morsels = 0;
  const std::atomic<bool>* cancel = nullptr;  //!< set to true to stop the run
  //! false: each split's batches go to the sink as soon as the split is read, not in split
  //! order (a job that does not need source order; see RunSplits).
  bool ordered = true;
};

//! Parallel executor for a bounded source feeding stateless single-input operators
//! (filter, project, explode: no operator may keep state across batches) and then one
//! sink. Workers take splits in source order and run them through their own chain copy;
//! the calling thread emits each split's batches to the sink in split order, so the
//! output equals PipelineExecutor's exactly.
//!
//! Control events: once every split is done, the first worker's chain gets one
//! EndOfStream; what the chain emits on it (a parallel right join's unmatched build
//! rows, which its copies share) goes to the sink last. The sink sees exactly one
//! EndOfStream, at the end. Watermarks read
//! from the splits are dropped: with a bounded source the final EndOfStream implies the
//! +infinity watermark, and nothing below the sink is stateful. An unbounded source
//! must not come here (it is checked).
//!
//! Errors: the run fails with the error of the first failing split in source order
//! (the same one the single-threaded run reports); later splits are cancelled and the
//! sink is aborted.
class MorselExecutor {
 public:
  explicit MorselExecutor(MorselExecutorOptions options) : options_(options) {}

  Result<ExecutorStats> Run(Source& source, const OperatorChainFactory& make_chain, Sink& sink);
  //! Over `splits`, which the caller already took from `source`.
  Result<ExecutorStats> Run(Source& source, const SourceSplits& splits, const OperatorChainFactory& make_chain,
                            Sink& sink);

 private:
  Status RunLoop(Source& source, const SourceSplits& splits, const OperatorChainFactory& make_chain, Sink& sink,
                 ExecutorStats* stats);
  MorselExecutorOptions options_;
};

}  // namespace sabot
