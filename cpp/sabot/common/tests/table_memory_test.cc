// Table vectors hold their values like std::vector, and a large one's memory goes back
// to the OS when it is freed.
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
TEST(TableMemory, ALargeBlockIsReturnedWhenFreed) {
  constexpr size_t kBytes = size_t{64} << 20;
  const int64_t before = ResidentBytes();
  ASSERT_GT(before, 0);
  void* block = AllocateTableMemory(kBytes);
  auto* bytes = static_cast<uint8_t*>(block);
  for (size_t i = 0; i < kBytes; i += 4096) bytes[i] = 1;
  EXPECT_GE(ResidentBytes() - before, static_cast<int64_t>(kBytes) * 9 / 10);
  FreeTableMemory(block, kBytes);
  // glibc would keep a block under its (raised) mmap threshold in the arena; this one is gone.
  EXPECT_LT(ResidentBytes() - before, static_cast<int64_t>(kBytes) / 10);
}
#endif

}  // namespace
}  // namespace sabot
