// Table vectors hold their values like std::vector, and a large one's memory is kept
// for the next tables until the cache is trimmed.
#include "sabot/common/table_memory.h"

#include <cstdint>
#include <fstream>
#include <numeric>

#include <gtest/gtest.h>

#include "sabot/common/sanitizer.h"

namespace sabot {
namespace {

// This process's resident set in bytes (Linux), or -1.
int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages = -1, resident = -1;
  if (!(statm >> pages >> resident)) return -1;
  return resident * 4096;
}

TEST(TableMemory, VectorsOfEverySizeHoldTheirValues) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{1000}, kTableMappingBytes / 8 - 1, kTableMappingBytes / 8,
                   size_t{3} * kTableMappingBytes / 8 + 5}) {
    TableVector<int64_t> values(n, 7);
    ASSERT_EQ(values.size(), n);
    std::iota(values.begin(), values.end(), int64_t{0});
    values.push_back(-1);  // grows: copied into a new block, the old one freed
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(values[i], static_cast<int64_t>(i)) << n;
    EXPECT_EQ(values.back(), -1);
  }
}

TEST(TableMemory, UninitializedVectorsResizeWithoutWriting) {
  UninitTableVector<uint32_t> values;
  values.resize(kTableMappingBytes);  // 8 MiB, mapped: read as zero, never written
  values[12345] = 9;
  EXPECT_EQ(values[12345], 9u);
  TableVector<uint32_t> zeros(kTableMappingBytes);
  EXPECT_EQ(std::accumulate(zeros.begin(), zeros.end(), uint64_t{0}), 0u);
}

#if defined(__linux__) && !defined(SABOT_SANITIZER_ALLOCATOR)
TEST(TableMemory, AFreedBlockStaysResidentUntilTheCacheIsTrimmed) {
  TrimTableMemoryCache(0);
  constexpr size_t kBytes = size_t{32} << 20;
  const int64_t before = ResidentBytes();
  ASSERT_GT(before, 0);
  void* block = AllocateTableMemory(kBytes);
  auto* bytes = static_cast<uint8_t*>(block);
  for (size_t i = 0; i < kBytes; i += 4096) bytes[i] = 1;
  EXPECT_GE(ResidentBytes() - before, static_cast<int64_t>(kBytes) * 9 / 10);
  FreeTableMemory(block, kBytes);
  EXPECT_EQ(CachedTableMemoryBytes(), kBytes);
  EXPECT_GE(ResidentBytes() - before, static_cast<int64_t>(kBytes) * 9 / 10);
  TrimTableMemoryCache(0);
  // glibc would keep a block under its (raised) mmap threshold in the arena; this one is gone.
  EXPECT_EQ(CachedTableMemoryBytes(), 0u);
  EXPECT_LT(ResidentBytes() - before, static_cast<int64_t>(kBytes) / 10);
}

TEST(TableMemory, TheNextTablesTakeFreedBlocksSplitOrGrown) {
  TrimTableMemoryCache(0);
  TakeTableMemoryPeak();
  constexpr size_t kMiB = size_t{1} << 20;
  // The same size again: the same pages, already resident.
  auto* first = static_cast<uint8_t*>(AllocateTableMemory(16 * kMiB));
  for (size_t i = 0; i < 16 * kMiB; i += 4096) first[i] = 7;
  FreeTableMemory(first, 16 * kMiB);
  const int64_t resident = ResidentBytes();
  auto* again = static_cast<uint8_t*>(AllocateTableMemory(16 * kMiB));
  EXPECT_EQ(again, first);
  EXPECT_EQ(CachedTableMemoryBytes(), 0u);
  for (size_t i = 0; i < 16 * kMiB; i += 4096) again[i] = 8;
  EXPECT_LT(ResidentBytes() - resident, static_cast<int64_t>(kMiB));
  FreeTableMemory(again, 16 * kMiB);
  // Smaller: the front of the block; the rest stays cached for the next.
  void* small = AllocateTableMemory(5 * kMiB + 1);  // rounded up to pages
  EXPECT_EQ(small, first);
  const size_t taken = (5 * kMiB + 4096);
  EXPECT_EQ(CachedTableMemoryBytes(), 16 * kMiB - taken);
  void* rest = AllocateTableMemory(16 * kMiB - taken);
  EXPECT_EQ(rest, first + taken);
  EXPECT_EQ(CachedTableMemoryBytes(), 0u);
  FreeTableMemory(small, 5 * kMiB + 1);
  // Larger than any cached block: the largest grows, keeping its pages.
  TableVector<uint64_t> grown(4 * kMiB);  // 32 MiB, zeroed: written through in full
  EXPECT_EQ(CachedTableMemoryBytes(), 0u);
  EXPECT_EQ(std::accumulate(grown.begin(), grown.end(), uint64_t{0}), 0u);
  FreeTableMemory(rest, 16 * kMiB - taken);
  EXPECT_EQ(TakeTableMemoryPeak(), 32 * kMiB + 16 * kMiB - taken);
  EXPECT_EQ(TakeTableMemoryPeak(), 32 * kMiB);  // in use now: the vector
  // Trimming keeps the smallest blocks within the bytes asked.
  auto* a = AllocateTableMemory(2 * kMiB);
  auto* b = AllocateTableMemory(8 * kMiB);
  FreeTableMemory(a, 2 * kMiB);
  FreeTableMemory(b, 8 * kMiB);
  TrimTableMemoryCache(4 * kMiB);
  EXPECT_EQ(CachedTableMemoryBytes(), 2 * kMiB);
  TrimTableMemoryCache(0);
  EXPECT_EQ(CachedTableMemoryBytes(), 0u);
}

TEST(TableMemory, TheCacheHoldsAtMostItsBound) {
  TrimTableMemoryCache(0);
  const size_t half = kTableCacheBytes / 2 + 4096;
  void* a = AllocateTableMemory(half);
  void* b = AllocateTableMemory(half);
  FreeTableMemory(a, half);
  EXPECT_EQ(CachedTableMemoryBytes(), half);
  FreeTableMemory(b, half);  // both would be over the bound: one is unmapped
  EXPECT_EQ(CachedTableMemoryBytes(), half);
  TrimTableMemoryCache(0);
}
#endif

}  // namespace
}  // namespace sabot
