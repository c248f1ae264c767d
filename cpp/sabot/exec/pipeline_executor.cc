// The single-threaded executor loop.
#include "sabot/exec/pipeline_executor.h"

#include <algorithm>
#include <cstdio>
#include <thread>

#include <arrow/record_batch.h>

namespace sabot {

namespace {

// Reading state of one source: its splits are read one after another, in order.
struct SourceCursor {
  SourceBinding* binding;
  std::vector<std::shared_ptr<SourceSplit>> splits;
  size_t next_split = 0;
  std::unique_ptr<SplitReader> reader;
  bool done = false;
};

// A pending source is asked again after at most this long, so cancellation is prompt.
constexpr auto kMaxIdleWait = std::chrono::milliseconds(50);

}  // namespace

std::string FormatStageStats(const std::vector<StageStats>& stages, std::chrono::nanoseconds wall) {
  if (stages.empty()) return "";
  constexpr size_t kWidth = 60;
  char line[256];
  std::snprintf(line, sizeof(line), "%-*s %10s %6s %13s\n", static_cast<int>(kWidth), "stage", "wall ms", "share",
                "rows");
  std::string out = line;
  for (const auto& stage : stages) {
    std::string name = std::string(2 * static_cast<size_t>(stage.depth), ' ') + stage.label;
    if (name.size() > kWidth) name = name.substr(0, kWidth - 3) + "...";
    const double share = wall.count() > 0 ? 100.0 * static_cast<double>(stage.wall.count()) / wall.count() : 0;
    const std::string rows = stage.rows < 0 ? "-" : std::to_string(stage.rows);
    std::snprintf(line, sizeof(line), "%-*s %10.1f %5.1f%% %13s\n", static_cast<int>(kWidth), name.c_str(),
                  static_cast<double>(stage.wall.count()) / 1e6, share, rows.c_str());
    out += line;
  }
  return out;
}

Result<ExecutorStats> RunAbortingOnError(Sink& sink, const std::function<Status(ExecutorStats*)>& loop) {
  ExecutorStats stats;
  auto start = std::chrono::steady_clock::now();
  Status st = loop(&stats);
  stats.wall = std::chrono::steady_clock::now() - start;
  if (!st.ok()) {
    Status abort = sink.Abort();
    if (!abort.ok()) return st.WithMessage(st.message(), " (and cleaning up failed: ", abort.message(), ")");
    return st;
  }
  return stats;
}

Result<ExecutorStats> PipelineExecutor::Run(PhysicalPlan& plan) {
  SABOT_CHECK(plan.sink != nullptr);
  return RunAbortingOnError(*plan.sink, [&](ExecutorStats* stats) { return RunLoop(plan, stats); });
}

Status PipelineExecutor::RunLoop(PhysicalPlan& plan, ExecutorStats* stats) {
  std::vector<SourceCursor> cursors;
  for (auto& binding : plan.sources) {
    SourceCursor cursor{&binding, {}, 0, nullptr, false};
    ARROW_ASSIGN_OR_RAISE(cursor.splits, binding.source->Splits());
    stats->splits += static_cast<int64_t>(cursor.splits.size());
    cursors.push_back(std::move(cursor));
  }

  size_t open = cursors.size();
  while (open > 0) {
    if (cancel_ && cancel_->load(std::memory_order_relaxed)) return Status::Cancelled("job cancelled");
    bool progress = false;
    auto wake_at = std::chrono::steady_clock::now() + kMaxIdleWait;
    // One message from each source per round: unbounded sources interleave fairly.
    for (auto& c : cursors) {
      if (c.done) continue;
      Operator* target = c.binding->target;
      const int port = c.binding->port;
      if (!c.reader) {
        if (c.next_split == c.splits.size()) {
          ARROW_RETURN_NOT_OK(target->Receive(port, Message::EndOfStream()));
          c.done = true;
          --open;
          progress = true;
          continue;
        }
        ARROW_ASSIGN_OR_RAISE(c.reader, c.binding->source->Open(*c.splits[c.next_split]));
      }
      ARROW_ASSIGN_OR_RAISE(auto poll, c.reader->Next());
      switch (poll.state) {
        case SourcePoll::State::kMessage: {
          progress = true;
          if (poll.message->is_batch()) {
            stats->source_rows += poll.message->batch()->num_rows();
            stats->source_batches += 1;
          }
          ARROW_ASSIGN_OR_RAISE(auto flow, target->Receive(port, std::move(*poll.message)));
          if (flow == Flow::kStop) {  // downstream is satisfied: read no further
            c.reader.reset();
            c.done = true;
            --open;
          }
          break;
        }
        case SourcePoll::State::kPending:
          wake_at = std::min(wake_at, poll.ready_at);
          break;
        case SourcePoll::State::kExhausted:
          c.reader.reset();
          ++c.next_split;
          progress = true;
          break;
      }
    }
    if (!progress && open > 0) std::this_thread::sleep_until(wake_at);
  }
  return Status::OK();
}

}  // namespace sabot
