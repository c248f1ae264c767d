// JobMemoryRelease: hands back to the OS what Arrow's allocator keeps of a large job.
#include "sabot/runtime/job_memory_release.h"

#include <arrow/memory_pool.h>

namespace sabot {

JobMemoryRelease::JobMemoryRelease()
    : allocated_at_start_(arrow::default_memory_pool()->total_bytes_allocated()) {}

JobMemoryRelease::~JobMemoryRelease() {
  arrow::MemoryPool* pool = arrow::default_memory_pool();
  if (pool->total_bytes_allocated() - allocated_at_start_ >= kMinBytes) pool->ReleaseUnused();
}

}  // namespace sabot
