// ReturnFreedArenaMemory: a large block a worker thread frees goes back to the OS, where
// glibc by default kept it resident in the thread's arena. JobMemoryRelease: freed table
// mappings stay cached between jobs and are unmapped once no job runs.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sabot/common/sanitizer.h"
#include "sabot/common/table_memory.h"
#include "sabot/runtime/job_memory_release.h"

namespace sabot {
namespace {

// Bytes of [address, address + size) resident in memory; 0 where it is no longer mapped.
int64_t ResidentBytes(uintptr_t address, size_t size) {
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = address & ~(page - 1);
  const size_t pages = (address + size - begin + page - 1) / page;
  std::vector<unsigned char> resident(pages);
  if (mincore(reinterpret_cast<void*>(begin), pages * page, resident.data()) != 0) return 0;
  int64_t bytes = 0;
  for (unsigned char flags : resident) bytes += (flags & 1) * static_cast<int64_t>(page);
  return bytes;
}

// Grows a table by doubling up to 16 MiB on a thread of its own, as a worker thread's
// hash table grows, frees it, and returns how much of its last block stayed resident.
int64_t ResidentAfterATableIsFreed() {
  int64_t resident = 0;
  std::thread worker([&resident] {
    void* table = nullptr;
    size_t size = 0;
    for (size_t next = size_t{1} << 20; next <= (size_t{16} << 20); next *= 2) {
      void* grown = std::malloc(next);
      std::memset(grown, 1, next);
      std::free(table);
      table = grown;
      size = next;
    }
    const auto address = reinterpret_cast<uintptr_t>(table);
    std::free(table);
    resident = ResidentBytes(address, size);
  });
  worker.join();
  return resident;
}

TEST(ReturnFreedArenaMemory, ATableAThreadFreesLeavesTheResidentSet) {
  if (!ReturnFreedArenaMemory()) {
    GTEST_SKIP() << "not glibc's allocator, or the user set its thresholds";
  }
  EXPECT_TRUE(ReturnFreedArenaMemory());  // once per process; later calls say the same
  // By default the first time is mapped and unmapped, but freeing it raised the
  // thresholds, and from the second on the 16 MiB stayed resident in the arena.
  for (int time = 0; time < 3; ++time) {
    EXPECT_LT(ResidentAfterATableIsFreed(), int64_t{1} << 20) << "time " << time;
  }
}

#if defined(__linux__) && !defined(SABOT_SANITIZER_ALLOCATOR)
// Waits up to `limit` for the table memory cache to empty; whether it did.
bool CacheEmptiesWithin(std::chrono::milliseconds limit) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (CachedTableMemoryBytes() > 0) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// A job's tables, freed, of `bytes`.
void RunAJobWithATable(size_t bytes) {
  JobMemoryRelease job;
  void* table = AllocateTableMemory(bytes);
  FreeTableMemory(table, bytes);
}

TEST(JobMemoryRelease, TablesStayCachedForTheNextJobUntilNoJobRuns) {
  constexpr size_t kMiB = size_t{1} << 20;
  TrimTableMemoryCache(0);
  TakeTableMemoryPeak();
  EXPECT_EQ(RunningJobsForTesting(), 0);
  {
    JobMemoryRelease outer;  // a job that runs on while the others come and go
    EXPECT_EQ(RunningJobsForTesting(), 1);
    RunAJobWithATable(8 * kMiB);
    EXPECT_EQ(CachedTableMemoryBytes(), 8 * kMiB);  // the job's peak: all of it kept
    std::this_thread::sleep_for(2 * JobMemoryRelease::kIdleBeforeTableRelease);
    EXPECT_EQ(CachedTableMemoryBytes(), 8 * kMiB) << "released while a job ran";
    // A smaller job takes part of the block; at its end the cache keeps what it used.
    RunAJobWithATable(2 * kMiB);
    EXPECT_EQ(CachedTableMemoryBytes(), 2 * kMiB);
  }
  EXPECT_EQ(RunningJobsForTesting(), 0);
  EXPECT_TRUE(CacheEmptiesWithin(std::chrono::seconds(10)));
  // Again, from a job on another thread.
  std::thread([&] { RunAJobWithATable(4 * kMiB); }).join();
  EXPECT_TRUE(CacheEmptiesWithin(std::chrono::seconds(10)));
}
#endif

}  // namespace
}  // namespace sabot
