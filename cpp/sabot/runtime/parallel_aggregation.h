// ParallelAggregation: runs "bounded source -> stateless operators -> hash aggregate"
// on worker threads, one partial aggregate per split, merged in split order, and
// pushes the result through the rest of the plan on the calling thread.
#pragma once

#include <atomic>
#include <memory>

#include "sabot/exec/morsel_executor.h"
#include "sabot/exec/pipeline_executor.h"
#include "sabot/exec/source.h"
#include "sabot/ops/hash_aggregate.h"

namespace sabot {

struct ParallelAggregationOptions {
  int threads = 2;
  //! Splits handed out but not yet merged, at most (their partial states are what is
  //! buffered, so this bounds memory); 0 means 2 * threads.
  int max_pending_splits = 0;
  const std::atomic<bool>* cancel = nullptr;  //!< set to true to stop the run
  //! The aggregate step's metrics: the rows the partial states consume and the time
  //! they take; null counts nothing.
  OperatorMetrics* metrics = nullptr;
};

//! Parallel executor for the pipeline below an aggregate (see FindParallelAggregate).
//! Workers take splits in source order and read each through their own copy of the
//! stateless operators into a fresh partial HashAggregateState for that split. The
//! calling thread merges the partial states in split order (so first/last see the
//! input in source order and float sums are added in the same grouping whatever the
//! thread count), finalizes, and pushes the result batches then one EndOfStream into
//! `downstream`: the rest of the plan, lowered normally, ending in `sink`. The result
//! counts as `downstream`'s output, not its input (it stands for the aggregate).
//!
//! A partial state per split, not per thread: a thread's splits are not contiguous, and
//! first/last need the input order. Merging costs one pass over each split's groups.
//! With several threads and keys that hash (join key types), the merge is parallel too:
//! each split's partial is split by key hash into one part per thread (the worker does
//! this), and one merge lane per part folds its parts in split order on its own thread,
//! then finalizes. Per group the merge order is the same as one thread's, so answers are
//! identical; only the order of the groups in the output differs (unspecified, as SQL).
//! A query with millions of groups (TPC-H Q18) would otherwise merge them on one thread.
//! Where a split's partial state barely reduces its rows (about a group per row, as TPC-H
//! Q13's count of orders per customer) and the answer cannot depend on how rows were
//! grouped before merging (HashAggregateState::CanPartitionByKeyHash), workers hand the
//! lanes their rows split by key hash instead, which the lanes consume: each row is then
//! inserted into one table, not into its split's and again, as a group, into a lane's.
//!
//! Control events: watermarks read from the splits are dropped (a bounded source's
//! EndOfStream implies the +infinity watermark). Once every split is done, the first
//! worker's chain gets one EndOfStream; what it emits then (a parallel right join's
//! unmatched build rows) is one more partial state, merged last. Partial states are not accounted in
//! the memory budget and never spill: the caller runs this only without a memory limit.
//!
//! Errors: the run fails with the error of the first failing split in source order, or
//! of the merge; later splits are cancelled and the sink is aborted.
class ParallelAggregation {
 public:
  explicit ParallelAggregation(ParallelAggregationOptions options) : options_(options) {}

  //! `prototype`: an empty state of the aggregate (its layout; it is not consumed).
  Result<ExecutorStats> Run(Source& source, const OperatorChainFactory& make_chain,
                            const HashAggregateState& prototype, Operator& downstream, Sink& sink);
  //! Over `splits`, which the caller already took from `source`.
  Result<ExecutorStats> Run(Source& source, const SourceSplits& splits, const OperatorChainFactory& make_chain,
                            const HashAggregateState& prototype, Operator& downstream, Sink& sink);

 private:
  Status RunLoop(Source& source, const SourceSplits& splits, const OperatorChainFactory& make_chain,
                 const HashAggregateState& prototype, Operator& downstream, ExecutorStats* stats);
  ParallelAggregationOptions options_;
};

//! Forwards what is pushed into it: the entry of the rest of a plan lowered over a stage
//! whose result the caller computes itself (see LowerPlanAbove).
class StageOutput final : public Operator {
 public:
  explicit StageOutput(std::shared_ptr<arrow::Schema> schema) : Operator(std::move(schema)) {}
  std::string_view name() const override { return "StageOutput"; }
  Result<Flow> Push(int, Message message) override { return Emit(std::move(message)); }
};

//! How many parallel aggregations started merge lanes since the process began.
int64_t MergeLaneStartsForTesting();
//! How many of them went on handing the lanes rows instead of partial states.
int64_t RowsToMergeLanesForTesting();

}  // namespace sabot
