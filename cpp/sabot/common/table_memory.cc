// Large table blocks mapped on their own, unmapped when freed.
#include "sabot/common/table_memory.h"

#include <cstdlib>
#include <new>

#include "sabot/common/sanitizer.h"

#if defined(__linux__) && !defined(SABOT_SANITIZER_ALLOCATOR)
#include <sys/mman.h>
#define SABOT_TABLE_MAPPINGS 1
#endif

namespace sabot {

void* AllocateTableMemory(size_t bytes) {
#if defined(SABOT_TABLE_MAPPINGS)
  if (bytes >= kTableMappingBytes) {
    void* block = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED) throw std::bad_alloc();
    return block;
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
    munmap(block, bytes);
    return;
  }
#endif
  std::free(block);
}

}  // namespace sabot
