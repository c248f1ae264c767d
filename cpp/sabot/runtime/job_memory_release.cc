// JobMemoryRelease: hands back to the OS what the allocators keep of a finished job.
#include "sabot/runtime/job_memory_release.h"

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <arrow/memory_pool.h>

#include "sabot/common/sanitizer.h"
#include "sabot/common/table_memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace sabot {

namespace {

constexpr int kMmapThresholdBytes = 32 << 20;  // glibc's own ceiling for the dynamic one
constexpr int kTrimThresholdBytes = 4 << 20;

bool SetArenaThresholds() {
#if defined(__GLIBC__) && !defined(SABOT_SANITIZER_ALLOCATOR)
  for (const char* name : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"}) {
    if (std::getenv(name) != nullptr) return false;  // the user's choice stands
  }
  // Setting either fixes the other too, at its default (a 128 KiB mmap threshold maps
  // every large block afresh), so both are set.
  return mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes) == 1 && mallopt(M_TRIM_THRESHOLD, kTrimThresholdBytes) == 1;
#else
  return false;
#endif
}

// Unmaps the table memory cache once no job has run for kIdleBeforeTableRelease, on a
// thread of its own started by the first job to end. Never destroyed: the thread may
// still wait on it while the process exits.
class IdleTableRelease {
 public:
  static IdleTableRelease& Get() {
    static auto* release = new IdleTableRelease();
    return *release;
  }

  void JobStarted() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++running_;
  }

  void JobEnded() {
    std::lock_guard<std::mutex> lock(mutex_);
    --running_;
    ++ended_;
    if (!started_) {
      started_ = true;
      std::thread([this] { Loop(); }).detach();
    }
    changed_.notify_one();
  }

  int running() {
    std::lock_guard<std::mutex> lock(mutex_);
    return running_;
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    int64_t released_after = 0;  // the jobs ended when the cache was last unmapped
    while (true) {
      changed_.wait(lock, [&] { return running_ == 0 && ended_ != released_after; });
      const int64_t ended = ended_;
      // Another job starting or ending restarts the wait.
      if (changed_.wait_for(lock, JobMemoryRelease::kIdleBeforeTableRelease,
                            [&] { return running_ > 0 || ended_ != ended; })) {
        continue;
      }
      released_after = ended;
      lock.unlock();
      TrimTableMemoryCache(0);
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  int running_ = 0;
  int64_t ended_ = 0;
  bool started_ = false;
};

}  // namespace

int RunningJobsForTesting() { return IdleTableRelease::Get().running(); }

bool ReturnFreedArenaMemory() {
  static std::once_flag once;
  static bool set = false;
  std::call_once(once, [] { set = SetArenaThresholds(); });
  return set;
}

JobMemoryRelease::JobMemoryRelease()
    : allocated_at_start_(arrow::default_memory_pool()->total_bytes_allocated()) {
  ReturnFreedArenaMemory();
  IdleTableRelease::Get().JobStarted();
}

JobMemoryRelease::~JobMemoryRelease() {
  arrow::MemoryPool* pool = arrow::default_memory_pool();
  if (pool->total_bytes_allocated() - allocated_at_start_ >= kMinBytes) pool->ReleaseUnused();
  TrimTableMemoryCache(TakeTableMemoryPeak());
  IdleTableRelease::Get().JobEnded();
}

}  // namespace sabot
