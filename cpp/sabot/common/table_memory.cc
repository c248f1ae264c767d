// Large table blocks mapped on their own; freed ones kept for the next tables until the
// process idles.
#include "sabot/common/table_memory.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "sabot/common/sanitizer.h"

#if defined(__linux__) && !defined(SABOT_SANITIZER_ALLOCATOR)
#include <sys/mman.h>
#include <unistd.h>
#define SABOT_TABLE_MAPPINGS 1
#endif

namespace sabot {

#if defined(SABOT_TABLE_MAPPINGS)
namespace {

size_t PageBytes() {
  static const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

size_t RoundUpToPages(size_t bytes) { return (bytes + PageBytes() - 1) / PageBytes() * PageBytes(); }

void* MapFresh(size_t bytes) {
  void* block = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (block == MAP_FAILED) throw std::bad_alloc();
  return block;
}

// Mappings freed by tables, resident, for the next tables to take. A block handed out is
// always exactly the page-rounded size asked for (a larger cached block is split, a
// smaller one grown in place or moved by mremap, which moves its pages without copying),
// so a free gives back what was taken. Never destroyed: tables may be freed during exit.
class MappingCache {
 public:
  static MappingCache& Get() {
    static auto* cache = new MappingCache();
    return *cache;
  }

  void* Take(size_t bytes) {
    std::unique_lock<std::mutex> lock(mutex_);
    NoteInUse(static_cast<int64_t>(bytes));
    if (blocks_.empty()) {
      lock.unlock();
      return MapFresh(bytes);
    }
    // The smallest block that fits, else the largest (grown).
    auto fits = blocks_.end();
    auto largest = blocks_.begin();
    for (auto it = blocks_.begin(); it != blocks_.end(); ++it) {
      if (it->bytes >= bytes && (fits == blocks_.end() || it->bytes < fits->bytes)) fits = it;
      if (it->bytes > largest->bytes) largest = it;
    }
    const Block block = fits != blocks_.end() ? *fits : *largest;
    blocks_.erase(fits != blocks_.end() ? fits : largest);
    cached_bytes_ -= block.bytes;
    if (block.bytes >= bytes) {
      const size_t rest = block.bytes - bytes;
      if (rest >= kTableMappingBytes) {
        blocks_.push_back({block.start + bytes, rest});
        cached_bytes_ += rest;
      } else if (rest > 0) {
        munmap(block.start + bytes, rest);
      }
      return block.start;
    }
    lock.unlock();
    void* grown = mremap(block.start, block.bytes, bytes, MREMAP_MAYMOVE);
    if (grown != MAP_FAILED) return grown;
    munmap(block.start, block.bytes);
    return MapFresh(bytes);
  }

  void Put(void* start, size_t bytes) {
    bool over = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      NoteInUse(-static_cast<int64_t>(bytes));
      blocks_.push_back({static_cast<char*>(start), bytes});
      cached_bytes_ += bytes;
      over = cached_bytes_ > kTableCacheBytes;
    }
    if (over) TrimTo(kTableCacheBytes);
  }

  void TrimTo(size_t keep) {
    std::vector<Block> unmap;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // The largest go first: what stays is the most blocks for the fewest bytes.
      std::sort(blocks_.begin(), blocks_.end(), [](const Block& a, const Block& b) { return a.bytes < b.bytes; });
      while (cached_bytes_ > keep) {
        unmap.push_back(blocks_.back());
        cached_bytes_ -= blocks_.back().bytes;
        blocks_.pop_back();
      }
    }
    for (const Block& block : unmap) munmap(block.start, block.bytes);  // outside the lock: slow for big blocks
  }

  size_t cached_bytes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_bytes_;
  }

  size_t TakePeakInUse() {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<size_t>(std::exchange(peak_in_use_, in_use_));
  }

 private:
  struct Block {
    char* start;
    size_t bytes;
  };

  void NoteInUse(int64_t delta) {
    in_use_ += delta;
    peak_in_use_ = std::max(peak_in_use_, in_use_);
  }

  std::mutex mutex_;
  std::vector<Block> blocks_;
  size_t cached_bytes_ = 0;
  int64_t in_use_ = 0;       // bytes of mapped blocks handed out
  int64_t peak_in_use_ = 0;  // the most of them since the last TakePeakInUse
};

}  // namespace
#endif

void* AllocateTableMemory(size_t bytes) {
#if defined(SABOT_TABLE_MAPPINGS)
  if (bytes >= kTableMappingBytes) return MappingCache::Get().Take(RoundUpToPages(bytes));
#endif
  void* block = std::malloc(bytes == 0 ? 1 : bytes);
  if (block == nullptr) throw std::bad_alloc();
  return block;
}

void FreeTableMemory(void* block, size_t bytes) noexcept {
  if (block == nullptr) return;
#if defined(SABOT_TABLE_MAPPINGS)
  if (bytes >= kTableMappingBytes) {
    MappingCache::Get().Put(block, RoundUpToPages(bytes));
    return;
  }
#endif
  std::free(block);
}

size_t CachedTableMemoryBytes() {
#if defined(SABOT_TABLE_MAPPINGS)
  return MappingCache::Get().cached_bytes();
#else
  return 0;
#endif
}

size_t TakeTableMemoryPeak() {
#if defined(SABOT_TABLE_MAPPINGS)
  return MappingCache::Get().TakePeakInUse();
#else
  return 0;
#endif
}

void TrimTableMemoryCache(size_t keep_bytes) {
#if defined(SABOT_TABLE_MAPPINGS)
  MappingCache::Get().TrimTo(keep_bytes);
#else
  (void)keep_bytes;
#endif
}

}  // namespace sabot
