// What every parallel run over source splits shares: reading one split through a
// worker's operator chain, and the bookkeeping of which splits are still worth reading.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "sabot/exec/operator.h"
#include "sabot/exec/source.h"
#include "sabot/exec/task_pool.h"

namespace sabot {

//! A pending split is asked again, and cancellation looked at, at least this often.
inline constexpr auto kMorselMaxIdleWait = std::chrono::milliseconds(50);

//! Shared by the workers of one run. Splits after `skip_after` are not worth reading (an
//! earlier one failed, or the run stopped); splits before it still run, so the first
//! failure in source order is the one reported, as in a single-threaded run.
struct MorselProgress {
  static constexpr size_t kNoFailure = std::numeric_limits<size_t>::max();
  std::atomic<size_t> skip_after{kNoFailure};
  std::atomic<int64_t> rows{0};
  std::atomic<int64_t> batches{0};

  void SkipAfter(size_t index) {
    size_t cur = skip_after.load();
    while (index < cur && !skip_after.compare_exchange_weak(cur, index)) {
    }
  }
  bool Skipped(size_t index) const { return index > skip_after.load(std::memory_order_relaxed); }
  bool Failed() const { return skip_after.load() != kNoFailure; }
};

inline bool IsCancelled(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load(std::memory_order_relaxed);
}

//! The splits of `source`; when listing them fails, `sink` is aborted first (the start
//! of a parallel run that was not handed its splits).
Result<SourceSplits> SplitsOrAbort(Source& source, Sink& sink);

//! Reads split number `index` of `source` into `entry` (the head of a worker's chain)
//! until it is exhausted, the chain says stop, the run is cancelled, or the split is no
//! longer worth reading. Watermarks are not forwarded: parallel runs read bounded
//! sources, whose end implies the final watermark.
Status ReadMorsel(Source& source, const SourceSplit& split, size_t index, Operator* entry,
                  MorselProgress& progress, const std::atomic<bool>* cancel);

//! The shape of every parallel run over splits: `read(index, worker) -> Result<R>` runs
//! each split on a pool of `threads` workers, at most `window` splits ahead of the
//! consumer; `consume(index, R) -> Result<bool>` (false: stop early) runs on the calling
//! thread. `ordered`: in split order, so results come out as a single-threaded run would
//! give them; otherwise as splits finish, so a slow split holds no finished one back
//! (a job that does not need source order asks for this). Returns true when every split
//! was consumed, false when `consume` stopped. Either way the error is that of the first
//! failing split in source order; splits after a failure are skipped.
template <typename R, typename Read, typename Consume>
Result<bool> RunSplits(size_t n, int threads, size_t window, bool ordered, const std::atomic<bool>* cancel,
                       MorselProgress& progress, Read&& read, Consume&& consume) {
  struct Slot {
    bool done = false;
    Status status;
    std::optional<R> value;  // empty for a skipped split
  };
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Slot> slots(n);
  std::vector<size_t> finished;  // unordered: indices done and not yet taken, in order done
  // Declared after what its tasks use, so its threads are joined before that goes away;
  // `stop` is destroyed first, so every exit stops the queued and running tasks.
  TaskPool pool(threads);
  struct StopOnExit {
    MorselProgress& progress;
    ~StopOnExit() { progress.SkipAfter(0); }
  } stop{progress};

  size_t next_submit = 0;
  auto submit_up_to = [&](size_t end) {
    end = std::min(end, n);
    while (next_submit < end && !progress.Skipped(next_submit)) {
      const size_t index = next_submit++;
      pool.Submit([&, index](int worker) {
        std::optional<R> value;
        Status st;
        if (!progress.Skipped(index)) {
          Result<R> r = read(index, worker);
          if (r.ok()) {
            value.emplace(std::move(r).ValueUnsafe());
          } else {
            st = r.status();
            progress.SkipAfter(index);
          }
        }
        std::lock_guard<std::mutex> lock(mutex);
        slots[index].done = true;
        slots[index].status = std::move(st);
        slots[index].value = std::move(value);
        if (!ordered) finished.push_back(index);
        changed.notify_all();
      });
    }
  };

  submit_up_to(window);
  // Unordered, a failure is held until every split before it is in, so that the error
  // is the first in source order, as ordered.
  size_t failed_index = MorselProgress::kNoFailure;
  Status failure;
  for (size_t taken = 0; taken < n; ++taken) {
    if (!ordered && taken == next_submit) break;  // a failure stopped the submissions
    size_t next = taken;
    std::optional<R> value;
    {
      std::unique_lock<std::mutex> lock(mutex);
      auto ready = [&] { return ordered ? slots[taken].done : !finished.empty(); };
      while (!ready()) {
        if (IsCancelled(cancel)) return Status::Cancelled("job cancelled");
        changed.wait_for(lock, kMorselMaxIdleWait);
      }
      if (!ordered) {
        next = finished.front();
        finished.erase(finished.begin());
      }
      auto& slot = slots[next];
      if (!slot.status.ok()) {
        if (ordered) return slot.status;
        if (next < failed_index) {
          failed_index = next;
          failure = slot.status;
        }
      }
      value = std::move(slot.value);
      slot.value.reset();
    }
    // Hand out more work before consuming, so the workers stay busy meanwhile.
    submit_up_to(ordered ? next + 1 + window : taken + 1 + window);
    // Once a later split failed, its error is the result unless an earlier one fails:
    // consuming is wasted work.
    if (progress.Failed() || !value) continue;
    ARROW_ASSIGN_OR_RAISE(bool go_on, consume(next, std::move(*value)));
    if (!go_on) return false;
  }
  if (!failure.ok()) return failure;
  return true;
}

//! RunSplits in split order.
template <typename R, typename Read, typename Consume>
Result<bool> RunSplitsInOrder(size_t n, int threads, size_t window, const std::atomic<bool>* cancel,
                              MorselProgress& progress, Read&& read, Consume&& consume) {
  return RunSplits<R>(n, threads, window, /*ordered=*/true, cancel, progress, std::forward<Read>(read),
                      std::forward<Consume>(consume));
}

}  // namespace sabot
