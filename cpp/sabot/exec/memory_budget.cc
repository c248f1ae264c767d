// MemoryBudget accounting and its spill folder; MemoryReservation.
#include "sabot/exec/memory_budget.h"

#include <unistd.h>

#include <algorithm>
#include <system_error>

#include "sabot/common/byte_size.h"

namespace sabot {

namespace {
std::atomic<int64_t> g_next_directory{0};
}  // namespace

MemoryBudget::MemoryBudget(Options options) : options_(std::move(options)) {}

MemoryBudget::~MemoryBudget() {
  if (!directory_.empty()) {
    std::error_code ignored;  // nothing useful to do if cleanup fails at teardown
    std::filesystem::remove_all(directory_, ignored);
  }
}

bool MemoryBudget::TryReserve(int64_t bytes) {
  if (bytes <= 0) return true;
  int64_t current = used_.load();
  while (true) {
    if (!unlimited() && current + bytes > options_.limit_bytes) return false;
    if (used_.compare_exchange_weak(current, current + bytes)) break;
  }
  int64_t peak = peak_.load();
  while (current + bytes > peak && !peak_.compare_exchange_weak(peak, current + bytes)) {
  }
  return true;
}

void MemoryBudget::ForceReserve(int64_t bytes) {
  if (bytes <= 0) return;
  const int64_t now = used_.fetch_add(bytes) + bytes;
  int64_t peak = peak_.load();
  while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
  }
}

void MemoryBudget::Release(int64_t bytes) {
  if (bytes > 0) used_.fetch_sub(bytes);
}

Result<std::filesystem::path> MemoryBudget::NewSpillPath(std::string_view label) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (directory_.empty()) {
    std::error_code error;
    std::filesystem::path parent = options_.spill_parent;
    if (parent.empty()) parent = std::filesystem::temp_directory_path(error);
    if (error) return Status::IOError("cannot find a temporary folder to spill to: ", error.message());
    std::filesystem::create_directories(parent, error);  // --spill-dir may name a new one
    if (error) {
      return Status::IOError("cannot create the spill folder's parent ", parent.string(), ": ", error.message());
    }
    // A folder of its own, made by this call: a process that died before removing its
    // spill folder leaves it behind, and a later process with the same id must not write
    // among (and later delete) those files.
    for (;;) {
      auto directory = parent / ("sabot-spill-" + std::to_string(::getpid()) + "-" +
                                 std::to_string(g_next_directory.fetch_add(1)));
      const bool created = std::filesystem::create_directory(directory, error);
      if (error) {
        return Status::IOError("cannot create the spill folder ", directory.string(), ": ", error.message());
      }
      if (created) {
        directory_ = std::move(directory);
        break;
      }
    }
  }
  return directory_ / (std::string(label) + "-" + std::to_string(next_file_++) + ".arrows");
}

std::filesystem::path MemoryBudget::spill_directory() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return directory_;
}

Status MemoryBudget::ExceededError(std::string_view owner, int64_t held, int64_t more) const {
  return Status::OutOfMemory(owner, " needs more memory than the job's budget of ", FormatByteSize(limit()),
                             " (it holds ", FormatByteSize(held), " and needs ", FormatByteSize(more),
                             " more; the job holds ", FormatByteSize(used()),
                             "). Spilling is disabled; raise --memory-limit or allow spilling");
}

bool MemoryReservation::TryResize(int64_t bytes) {
  bytes = std::max<int64_t>(bytes, 0);
  if (budget_ != nullptr) {
    if (bytes > bytes_ && !budget_->TryReserve(bytes - bytes_)) return false;
    if (bytes < bytes_) budget_->Release(bytes_ - bytes);
  }
  bytes_ = bytes;
  return true;
}

void MemoryReservation::Resize(int64_t bytes) {
  bytes = std::max<int64_t>(bytes, 0);
  if (budget_ != nullptr) {
    if (bytes > bytes_) budget_->ForceReserve(bytes - bytes_);
    if (bytes < bytes_) budget_->Release(bytes_ - bytes);
  }
  bytes_ = bytes;
}

}  // namespace sabot
