// Large table blocks mapped on their own, in huge pages where the kernel allows.
#include "sabot/common/table_memory.h"

#include <cstdint>
#include <cstdlib>
#include <new>

#include "sabot/common/sanitizer.h"

#if defined(__linux__) && !defined(SABOT_SANITIZER_ALLOCATOR)
#include <sys/mman.h>
#define SABOT_TABLE_MAPPINGS 1
#endif

namespace sabot {

namespace {

constexpr size_t kHugePage = size_t{2} << 20;

size_t RoundUp(size_t bytes, size_t to) { return (bytes + to - 1) / to * to; }

}  // namespace

void* AllocateTableMemory(size_t bytes) {
#if defined(SABOT_TABLE_MAPPINGS)
  if (bytes >= kTableMappingBytes) {
    // Over-map by a huge page and cut the ends off, so the block starts on a huge page
    // boundary: the kernel backs only aligned 2 MiB ranges with huge pages.
    const size_t size = RoundUp(bytes, kHugePage);
    void* mapped = mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED) throw std::bad_alloc();
    const auto start = reinterpret_cast<uintptr_t>(mapped);
    const uintptr_t aligned = RoundUp(start, kHugePage);
    if (aligned > start) munmap(mapped, aligned - start);
    const uintptr_t end = start + size + kHugePage;
    if (end > aligned + size) munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));
    // Advice, not a demand: where THP is off ("never") or its defrag stalls, the block
    // is ordinary pages and works the same.
    (void)madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
    return reinterpret_cast<void*>(aligned);
  }
#endif
  void* block = std::malloc(bytes == 0 ? 1 : bytes);
  if (block == nullptr) throw std::bad_alloc();
  return block;
}

void FreeTableMemory(void* block, size_t bytes) noexcept {
  if (block == nullptr) return;
#if defined(SABOT_TABLE_MAPPINGS)
  if (bytes >= kTableMappingBytes) {
    munmap(block, RoundUp(bytes, kHugePage));
    return;
  }
#endif
  std::free(block);
}

}  // namespace sabot
