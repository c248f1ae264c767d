// MemoryBudget: the memory a job's stateful operators (join builds, aggregations,
// sorts) may hold together, whether they may spill past it, and where spill files go.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "sabot/common/errors.h"

namespace sabot {

//! Shared by every stateful operator of one job (and their per-thread copies). Operators
//! hold their share through a MemoryReservation. Accounting is of the state operators
//! estimate they keep, not of every allocation: it keeps a job within about its limit,
//! which is what lets it spill instead of being killed.
class MemoryBudget {
 public:
  struct Options {
    int64_t limit_bytes = 0;  //!< 0: unlimited
    bool allow_spill = true;  //!< false: passing the limit is an error
    //! Where spill files go: a fresh folder "sabot-spill-<pid>-<n>" is made inside it on
    //! the first spill and removed with the budget. Empty: the system's temp folder.
    std::filesystem::path spill_parent;
  };

  explicit MemoryBudget(Options options);
  //! Removes the spill folder (and anything left in it).
  ~MemoryBudget();
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  static std::shared_ptr<MemoryBudget> Make(int64_t limit_bytes, bool allow_spill = true) {
    return std::make_shared<MemoryBudget>(Options{limit_bytes, allow_spill, {}});
  }

  int64_t limit() const { return options_.limit_bytes; }
  bool unlimited() const { return options_.limit_bytes <= 0; }
  bool allow_spill() const { return options_.allow_spill; }

  //! Takes `bytes` if they fit under the limit; thread-safe.
  bool TryReserve(int64_t bytes);
  //! Takes `bytes` even past the limit: for state that cannot be split further (one key
  //! bigger than the budget) or that an operator holds for a moment.
  void ForceReserve(int64_t bytes);
  void Release(int64_t bytes);
  int64_t used() const { return used_.load(); }
  int64_t peak() const { return peak_.load(); }

  //! A new file name in the spill folder, which is created on the first call.
  Result<std::filesystem::path> NewSpillPath(std::string_view label);
  //! The spill folder; empty until the first spill.
  std::filesystem::path spill_directory() const;
  void RecordSpillFile() { spill_files_.fetch_add(1); }
  void RecordSpilledBytes(int64_t bytes) { spilled_bytes_.fetch_add(bytes); }
  int64_t spill_files() const { return spill_files_.load(); }
  int64_t spilled_bytes() const { return spilled_bytes_.load(); }

  //! The error of `owner` ("hash aggregate") needing more than the limit with spilling
  //! disabled.
  Status ExceededError(std::string_view owner, int64_t held, int64_t more) const;

 private:
  Options options_;
  std::atomic<int64_t> used_{0};
  std::atomic<int64_t> peak_{0};
  std::atomic<int64_t> spill_files_{0};
  std::atomic<int64_t> spilled_bytes_{0};
  mutable std::mutex mutex_;  // guards the spill folder
  std::filesystem::path directory_;
  int64_t next_file_ = 0;
};

//! One operator's share of a budget; it grows and shrinks with the operator's state and
//! is given back on destruction. A null budget is unlimited: every request is granted.
class MemoryReservation {
 public:
  explicit MemoryReservation(std::shared_ptr<MemoryBudget> budget = nullptr) : budget_(std::move(budget)) {}
  ~MemoryReservation() { Resize(0); }
  MemoryReservation(const MemoryReservation&) = delete;
  MemoryReservation& operator=(const MemoryReservation&) = delete;

  //! Sets the share to `bytes` if the budget has room (shrinking always succeeds).
  bool TryResize(int64_t bytes);
  //! Sets the share to `bytes`, past the limit if need be.
  void Resize(int64_t bytes);
  int64_t bytes() const { return bytes_; }
  const std::shared_ptr<MemoryBudget>& budget() const { return budget_; }

 private:
  std::shared_ptr<MemoryBudget> budget_;
  int64_t bytes_ = 0;
};

}  // namespace sabot
