// JobMemoryRelease: hands back to the OS what the allocators keep of a finished job.
#pragma once

#include <chrono>
#include <cstdint>

namespace sabot {

//! Scoped over one job run: when it ends having allocated at least kMinBytes from Arrow's
//! default pool, the pool releases its unused memory (mimalloc's collect). Sabot keeps
//! freed memory 1 s in mimalloc (see python/sabot/__init__.py) so that batch churn does
//! not fault pages in again, and each worker thread keeps its own: after a job those
//! pages stayed resident into the next one (the 22 TPC-H queries at SF1 in one process
//! on 2 threads peaked at 350 MiB, about 150 of them freed by earlier queries; 300 MiB
//! with this, at the same CPU time). Small jobs skip it: a release costs about a
//! millisecond, and the next job faults the pages in again.
//!
//! The first one in a process also sets glibc's malloc thresholds (see
//! ReturnFreedArenaMemory), for the operators' own large blocks (hash tables, grouping
//! tables, accumulators), which do not come from Arrow's pool.
//!
//! The operators' large tables keep their freed mappings for the next job (see
//! CachedTableMemoryBytes): at a job's end the cache keeps at most what the job had in
//! use at once, and once no job has run for kIdleBeforeTableRelease the cache is
//! unmapped. Back-to-back jobs so reuse the pages the last one faulted in (a 780K-row
//! join run faulted 22K pages in, 12K with the cache), and an idle process holds none.
class JobMemoryRelease {
 public:
  static constexpr int64_t kMinBytes = int64_t{256} << 20;
  //! Queries of a session or a benchmark run back to back, a few milliseconds apart; a
  //! gap this long is between bursts of work.
  static constexpr auto kIdleBeforeTableRelease = std::chrono::milliseconds(200);

  JobMemoryRelease();
  ~JobMemoryRelease();
  JobMemoryRelease(const JobMemoryRelease&) = delete;
  JobMemoryRelease& operator=(const JobMemoryRelease&) = delete;

 private:
  int64_t allocated_at_start_;
};

//! glibc's malloc thresholds for the engine, set once per process (later calls do
//! nothing): blocks up to 32 MiB come from the thread's arena, as they do by default once
//! the first one is freed, and an arena gives back its free top above 4 MiB. By default a
//! freed block of up to 32 MiB raises the trim threshold to twice its size, and
//! malloc_trim never trims a thread arena's top, so the tables a worker thread freed at
//! the end of a job stayed resident into the next: the 22 TPC-H queries at SF1 on 2
//! threads (one process, every query 4 times) peaked at 301-311 MiB and rested at 220;
//! with these 240-244 and 155, in the same time (3.8-4.1 s against 3.8-4.2) for 24% more
//! page faults. A smaller mmap threshold gave less (4 MiB: 230 MiB) but cost 5-10% more
//! time, every large block faulting in afresh. Left alone where the user set them
//! (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ or GLIBC_TUNABLES), and a no-op
//! outside glibc or under a sanitizer's allocator. Returns whether they were set.
bool ReturnFreedArenaMemory();

//! Jobs running now (JobMemoryRelease scopes open); for tests.
int RunningJobsForTesting();

}  // namespace sabot
