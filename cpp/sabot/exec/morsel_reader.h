// What every parallel run over source splits shares: reading one split through a
// worker's operator chain, and the bookkeeping of which splits are still worth reading.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "sabot/exec/operator.h"
#include "sabot/exec/source.h"

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

//! Reads split number `index` of `source` into `entry` (the head of a worker's chain)
//! until it is exhausted, the chain says stop, the run is cancelled, or the split is no
//! longer worth reading. Watermarks are not forwarded: parallel runs read bounded
//! sources, whose end implies the final watermark.
Status ReadMorsel(Source& source, const SourceSplit& split, size_t index, Operator* entry,
                  MorselProgress& progress, const std::atomic<bool>* cancel);

}  // namespace sabot
