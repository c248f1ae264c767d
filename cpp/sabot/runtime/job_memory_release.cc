// JobMemoryRelease: hands back to the OS what the allocators keep of a finished job.
#include "sabot/runtime/job_memory_release.h"

#include <cstdlib>
#include <mutex>

#include <arrow/memory_pool.h>

#include "sabot/common/sanitizer.h"

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

}  // namespace

bool ReturnFreedArenaMemory() {
  static std::once_flag once;
  static bool set = false;
  std::call_once(once, [] { set = SetArenaThresholds(); });
  return set;
}

JobMemoryRelease::JobMemoryRelease()
    : allocated_at_start_(arrow::default_memory_pool()->total_bytes_allocated()) {
  ReturnFreedArenaMemory();
}

JobMemoryRelease::~JobMemoryRelease() {
  arrow::MemoryPool* pool = arrow::default_memory_pool();
  if (pool->total_bytes_allocated() - allocated_at_start_ >= kMinBytes) pool->ReleaseUnused();
}

}  // namespace sabot
