// TableVector: a std::vector for the engine's large hash tables, whose big blocks are
// mapped from the OS on their own and unmapped when freed.
#pragma once

#include <cstddef>
#include <vector>

#include "sabot/common/default_init_allocator.h"

namespace sabot {

//! Blocks at least this large get a mapping of their own (see AllocateTableMemory).
inline constexpr size_t kTableMappingBytes = size_t{2} << 20;

//! `bytes` of memory for a table that will be written through, not merely reserved (a
//! hash table's slots, its accumulators). Blocks of kTableMappingBytes and more are
//! mapped on their own; smaller ones come from malloc. A freed mapping stays resident in
//! a cache that the next large tables take from (see TrimTableMemoryCache), so a block
//! may hold old values: an uninitialized vector's new entries are garbage, not zeros. Why not
//! malloc for all: glibc serves blocks under its mmap threshold (raised to 32 MiB, see
//! job_memory_release.h) from the allocating thread's arena and keeps them there once
//! freed, so each merge lane's table and accumulators left their smaller predecessors
//! behind as they grew: TPC-H Q18 at SF10 on 16 threads peaked at 1348 MiB against 1000
//! on 4; 1099 with the grouping tables and accumulators mapped. Under a sanitizer
//! everything comes from malloc, which the sanitizer checks. Throws std::bad_alloc when
//! the OS has no memory left, as operator new does.
//!
//! Not in transparent huge pages: Python's sabot turns them off for the whole process
//! (MIMALLOC_ALLOW_THP=0, see python/sabot/__init__.py), and on this project's VMs a
//! huge page's first fault cost up to 4x the 4 KiB pages' of the same memory.
void* AllocateTableMemory(size_t bytes);
//! Frees what AllocateTableMemory(bytes) returned, with the same `bytes`.
void FreeTableMemory(void* block, size_t bytes) noexcept;

//! Freed table mappings are cached rather than unmapped, up to kTableCacheBytes: each
//! page of a fresh mapping costs a fault and a zeroed page on first write, and on this
//! project's VMs those faults did not run in parallel (two threads faulting 64 MiB each
//! took as long as one thread faulting 64 MiB: ~1.9 us a page either way), so the tables
//! of a 780K-row join build (about 40 MiB with its scratch), faulted in afresh by every
//! run, were a serial part of it. The cache is bounded because it holds memory no table
//! uses while the job goes on allocating elsewhere (Arrow's pool): unbounded, TPC-H Q18
//! at SF10 on 2 threads kept its freed grouping tables and peaked at 1105 MiB; 956 with
//! the bound, 948 unmapping every freed block. Its
//! users trim it further: JobMemoryRelease keeps what a job used at most and unmaps
//! everything once the process idles. Under a sanitizer nothing is mapped, and these do
//! nothing.
inline constexpr size_t kTableCacheBytes = size_t{64} << 20;
//!
//! Bytes of freed mappings held in the cache.
size_t CachedTableMemoryBytes();
//! The most bytes of mappings in use at once since the last call (starting again from
//! those in use now).
size_t TakeTableMemoryPeak();
//! Unmaps cached mappings, the largest first, until at most `keep_bytes` stay.
void TrimTableMemoryCache(size_t keep_bytes);

//! A std allocator over AllocateTableMemory.
template <typename T>
class TableAllocator {
 public:
  using value_type = T;

  TableAllocator() = default;
  template <typename U>
  TableAllocator(const TableAllocator<U>&) noexcept {}  // NOLINT: converting, as std::allocator

  T* allocate(size_t n) { return static_cast<T*>(AllocateTableMemory(n * sizeof(T))); }
  void deallocate(T* block, size_t n) noexcept { FreeTableMemory(block, n * sizeof(T)); }

  template <typename U>
  bool operator==(const TableAllocator<U>&) const noexcept {
    return true;
  }
};

//! A vector for a large table (see AllocateTableMemory).
template <typename T>
using TableVector = std::vector<T, TableAllocator<T>>;

//! A TableVector whose resize leaves new trivial entries unset (see UninitVector).
template <typename T>
using UninitTableVector = std::vector<T, DefaultInitAllocator<T, TableAllocator<T>>>;

}  // namespace sabot
