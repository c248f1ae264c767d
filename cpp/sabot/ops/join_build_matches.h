// JoinBuildMatches: which build rows of a right, full, right semi or right anti join found
// a match, shared by every probing copy of the join.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

namespace sabot {

//! One flag per build row, set by whichever probe copy matches the row, on any thread.
//! The flags are bytes written through std::atomic_ref (relaxed): two copies may set the
//! same row at once, and a plain store would be a data race even though both write 1.
//! Only the end of input reads them back, after every copy finished probing (the executor
//! joins its workers first), so no ordering beyond that is needed.
//!
//! The unmatched rows (right, full, right anti) or the matched ones (right semi) are
//! emitted once for all copies: the copy that claims them (Claim) is the one that emits.
class JoinBuildMatches {
 public:
  explicit JoinBuildMatches(int64_t rows) : matched_(static_cast<size_t>(rows), 0) {}

  int64_t num_rows() const { return static_cast<int64_t>(matched_.size()); }

  //! Marks build rows `rows[0..n)` matched.
  void Set(const uint32_t* rows, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      std::atomic_ref<uint8_t> flag(matched_[rows[i]]);
      // Read first: a row matched by many probe rows is written once, so threads that
      // match the same build rows do not keep taking its cache line from each other.
      if (flag.load(std::memory_order_relaxed) == 0) flag.store(1, std::memory_order_relaxed);
    }
  }

  //! The build rows in [begin, end) that some probe row matched (`matched`) or none did,
  //! in row order.
  std::vector<uint32_t> Rows(int64_t begin, int64_t end, bool matched) {
    const uint8_t want = matched ? 1 : 0;
    std::vector<uint32_t> rows;
    for (int64_t i = begin; i < end; ++i) {
      if (std::atomic_ref<uint8_t>(matched_[static_cast<size_t>(i)]).load(std::memory_order_relaxed) == want) {
        rows.push_back(static_cast<uint32_t>(i));
      }
    }
    return rows;
  }

  //! True for the first caller only: the copy that emits the build rows.
  bool Claim() { return !claimed_.exchange(true, std::memory_order_acq_rel); }

 private:
  std::vector<uint8_t> matched_;
  std::atomic<bool> claimed_{false};
};

}  // namespace sabot
