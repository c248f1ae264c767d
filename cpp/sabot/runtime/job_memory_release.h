// JobMemoryRelease: hands back to the OS what Arrow's allocator keeps of a large job.
#pragma once

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
class JobMemoryRelease {
 public:
  static constexpr int64_t kMinBytes = int64_t{256} << 20;

  JobMemoryRelease();
  ~JobMemoryRelease();
  JobMemoryRelease(const JobMemoryRelease&) = delete;
  JobMemoryRelease& operator=(const JobMemoryRelease&) = delete;

 private:
  int64_t allocated_at_start_;
};

}  // namespace sabot
