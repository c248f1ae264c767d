// Reading one split on a worker thread.
#include "sabot/exec/morsel_reader.h"

#include <algorithm>
#include <thread>

#include <arrow/record_batch.h>

namespace sabot {

Status ReadMorsel(Source& source, const SourceSplit& split, size_t index, Operator* entry,
                  MorselProgress& progress, const std::atomic<bool>* cancel) {
  ARROW_ASSIGN_OR_RAISE(auto reader, source.Open(split));
  for (;;) {
    if (IsCancelled(cancel)) return Status::Cancelled("job cancelled");
    if (progress.Skipped(index)) return Status::OK();  // the result will not be used
    ARROW_ASSIGN_OR_RAISE(auto poll, reader->Next());
    switch (poll.state) {
      case SourcePoll::State::kMessage: {
        if (!poll.message->is_batch()) break;
        progress.rows.fetch_add(poll.message->batch()->num_rows(), std::memory_order_relaxed);
        progress.batches.fetch_add(1, std::memory_order_relaxed);
        ARROW_ASSIGN_OR_RAISE(auto flow, entry->Receive(0, std::move(*poll.message)));
        if (flow == Flow::kStop) return Status::OK();
        break;
      }
      case SourcePoll::State::kPending:
        std::this_thread::sleep_until(
            std::min(poll.ready_at, std::chrono::steady_clock::now() + kMorselMaxIdleWait));
        break;
      case SourcePoll::State::kExhausted:
        return Status::OK();
    }
  }
}

Result<SourceSplits> SplitsOrAbort(Source& source, Sink& sink) {
  auto splits = source.Splits();
  if (!splits.ok()) (void)sink.Abort();
  return splits;
}

Result<SourceSplits> PartitionsOrAbort(Source& source, int count, Sink& sink) {
  auto partitions = source.Partitions(count);
  if (!partitions.ok()) (void)sink.Abort();
  return partitions;
}

}  // namespace sabot
