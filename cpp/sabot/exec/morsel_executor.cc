// The morsel executor: worker tasks read splits through their own operator chains,
// the calling thread reorders the results and feeds the sink.
#include "sabot/exec/morsel_executor.h"

#include <algorithm>

#include <arrow/record_batch.h>

#include "sabot/exec/morsel_reader.h"
#include "sabot/exec/pipeline_executor.h"

namespace sabot {

namespace {

using Batches = std::vector<std::shared_ptr<arrow::RecordBatch>>;


// The end of a worker's chain: keeps the batches of the split being read. Control
// events are dropped here (see MorselExecutor: only watermarks reach it, and a
// bounded run ends in one EndOfStream sent by the executor).
class MorselBuffer final : public Operator {
 public:
  explicit MorselBuffer(std::shared_ptr<arrow::Schema> schema) : Operator(std::move(schema)) {}
  std::string_view name() const override { return "MorselBuffer"; }
  Result<Flow> Push(int, Message message) override {
    if (message.is_batch()) out->push_back(message.batch());
    return Flow::kContinue;
  }
  Batches* out = nullptr;
};

struct Worker {
  OperatorChain chain;
  std::unique_ptr<MorselBuffer> buffer;
  Operator* entry = nullptr;  // chain.head, or the buffer when the chain is empty
};

// Sends the EndOfStream of the whole run through `worker`'s chain, into `out`.
Status EndChain(Worker& worker, Batches* out) {
  worker.buffer->out = out;
  return worker.entry->Receive(0, Message::EndOfStream()).status();
}


}  // namespace

Result<ExecutorStats> MorselExecutor::Run(Source& source, const OperatorChainFactory& make_chain, Sink& sink) {
  ARROW_ASSIGN_OR_RAISE(auto splits, SplitsOrAbort(source, sink));
  return Run(source, splits, make_chain, sink);
}

Result<ExecutorStats> MorselExecutor::Run(Source& source, const SourceSplits& splits,
                                          const OperatorChainFactory& make_chain, Sink& sink) {
  return RunAbortingOnError(sink,
                            [&](ExecutorStats* stats) { return RunLoop(source, splits, make_chain, sink, stats); });
}

Status MorselExecutor::RunLoop(Source& source, const SourceSplits& splits, const OperatorChainFactory& make_chain,
                               Sink& sink, ExecutorStats* stats) {
  SABOT_CHECK(options_.threads > 0);
  SABOT_CHECK(source.bounded());  // watermarks are dropped; see the class comment
  const size_t n = splits.size();
  stats->splits = static_cast<int64_t>(n);

  std::vector<Worker> workers(static_cast<size_t>(options_.threads));
  for (auto& w : workers) {
    ARROW_ASSIGN_OR_RAISE(w.chain, make_chain());
    const auto& schema = w.chain.tail ? w.chain.tail->output_schema() : source.schema();
    w.buffer = std::make_unique<MorselBuffer>(schema);
    w.entry = w.chain.EndIn(w.buffer.get());
  }

  const size_t window = static_cast<size_t>(
      options_.max_pending_morsels > 0 ? options_.max_pending_morsels : 2 * options_.threads);
  MorselProgress progress;
  ARROW_ASSIGN_OR_RAISE(
      bool finished,
      RunSplits<Batches>(
          n, options_.threads, window, options_.ordered, options_.cancel, progress,
          [&](size_t index, int w) -> Result<Batches> {
            Batches out;
            Worker& worker = workers[static_cast<size_t>(w)];
            worker.buffer->out = &out;
            ARROW_RETURN_NOT_OK(ReadMorsel(source, *splits[index], index, worker.entry, progress, options_.cancel));
            return out;
          },
          [&](size_t, Batches batches) -> Result<bool> {
            for (auto& batch : batches) {
              ARROW_ASSIGN_OR_RAISE(auto flow, sink.Receive(0, Message::Batch(std::move(batch))));
              if (flow == Flow::kStop) return false;
            }
            return true;
          }));
  stats->source_rows = progress.rows.load();
  stats->source_batches = progress.batches.load();
  if (!finished) return Status::OK();  // the sink stopped: as PipelineExecutor, no EndOfStream
  // Every worker is done: what one chain emits at its end (a parallel right join's
  // unmatched build rows) comes after all the splits' output.
  Batches last;
  ARROW_RETURN_NOT_OK(EndChain(workers.front(), &last));
  for (auto& batch : last) {
    ARROW_ASSIGN_OR_RAISE(auto flow, sink.Receive(0, Message::Batch(std::move(batch))));
    if (flow == Flow::kStop) return Status::OK();
  }
  return sink.Receive(0, Message::EndOfStream()).status();
}

}  // namespace sabot
