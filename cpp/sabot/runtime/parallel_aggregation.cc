// The parallel aggregation executor: worker tasks fold splits into partial aggregates,
// the calling thread merges them in split order and emits the result.
#include "sabot/runtime/parallel_aggregation.h"

#include <algorithm>
#include <chrono>

#include <arrow/record_batch.h>

#include "sabot/exec/morsel_reader.h"
#include "sabot/exec/pipeline_executor.h"

namespace sabot {

namespace {


// The end of a worker's chain: folds batches into the partial state of the split being
// read. Control events are dropped (see ParallelAggregation).
class PartialAggregateInput final : public Operator {
 public:
  explicit PartialAggregateInput(std::shared_ptr<arrow::Schema> schema) : Operator(std::move(schema)) {}
  std::string_view name() const override { return "PartialAggregate"; }
  Result<Flow> Push(int, Message message) override {
    if (message.is_batch()) ARROW_RETURN_NOT_OK(state->Consume(*message.batch()));
    return Flow::kContinue;
  }
  HashAggregateState* state = nullptr;
};

struct Worker {
  OperatorChain chain;
  std::unique_ptr<PartialAggregateInput> input;
  Operator* entry = nullptr;  // chain.head, or the input when the chain is empty
};


}  // namespace

Result<ExecutorStats> ParallelAggregation::Run(Source& source, const OperatorChainFactory& make_chain,
                                               const HashAggregateState& prototype, Operator& downstream,
                                               Sink& sink) {
  ARROW_ASSIGN_OR_RAISE(auto splits, SplitsOrAbort(source, sink));
  return Run(source, splits, make_chain, prototype, downstream, sink);
}

Result<ExecutorStats> ParallelAggregation::Run(Source& source, const SourceSplits& splits,
                                               const OperatorChainFactory& make_chain,
                                               const HashAggregateState& prototype, Operator& downstream,
                                               Sink& sink) {
  return RunAbortingOnError(
      sink, [&](ExecutorStats* stats) { return RunLoop(source, splits, make_chain, prototype, downstream, stats); });
}

Status ParallelAggregation::RunLoop(Source& source, const SourceSplits& splits,
                                    const OperatorChainFactory& make_chain, const HashAggregateState& prototype,
                                    Operator& downstream, ExecutorStats* stats) {
  SABOT_CHECK(options_.threads > 0);
  SABOT_CHECK(source.bounded());  // watermarks are dropped; see the class comment
  const size_t n = splits.size();
  stats->splits = static_cast<int64_t>(n);

  std::vector<Worker> workers(static_cast<size_t>(options_.threads));
  for (auto& w : workers) {
    ARROW_ASSIGN_OR_RAISE(w.chain, make_chain());
    w.input = std::make_unique<PartialAggregateInput>(prototype.input_schema());
    w.input->SetMetrics(options_.metrics);
    w.entry = w.chain.EndIn(w.input.get());
  }

  const size_t window = static_cast<size_t>(
      options_.max_pending_splits > 0 ? options_.max_pending_splits : 2 * options_.threads);
  MorselProgress progress;
  ARROW_ASSIGN_OR_RAISE(auto total, prototype.MakeEmpty());
  using State = std::unique_ptr<HashAggregateState>;
  ARROW_RETURN_NOT_OK(RunSplitsInOrder<State>(
      n, options_.threads, window, options_.cancel, progress,
      [&](size_t index, int w) -> Result<State> {
        ARROW_ASSIGN_OR_RAISE(auto state, prototype.MakeEmpty());
        Worker& worker = workers[static_cast<size_t>(w)];
        worker.input->state = state.get();
        ARROW_RETURN_NOT_OK(ReadMorsel(source, *splits[index], index, worker.entry, progress, options_.cancel));
        return state;
      },
      // In split order: each partial's input comes after everything merged so far.
      [&](size_t, State partial) -> Result<bool> {
        ARROW_RETURN_NOT_OK(total->Merge(*partial));
        return true;
      }).status());
  stats->source_rows = progress.rows.load();
  stats->source_batches = progress.batches.load();

  ARROW_ASSIGN_OR_RAISE(auto result, total->Finalize());
  total.reset();
  for (auto& batch : result) {
    ARROW_ASSIGN_OR_RAISE(auto flow, downstream.Push(0, Message::Batch(std::move(batch))));
    if (flow == Flow::kStop) return Status::OK();  // as PipelineExecutor: no EndOfStream
  }
  return downstream.Push(0, Message::EndOfStream()).status();
}

}  // namespace sabot
