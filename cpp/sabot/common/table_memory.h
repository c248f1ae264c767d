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
//! mapped on their own (and unmapped when freed); smaller ones come from malloc. Why not
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
