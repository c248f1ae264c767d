// JoinKeyFilter: never rules out an inserted hash, rules out most others, and inserts from
// several threads give the filter one thread gives.
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sabot/common/mix64.h"
#include "sabot/ops/join_key_filter.h"

namespace sabot {
namespace {

std::vector<uint64_t> Hashes(int64_t n, uint64_t seed) {
  std::vector<uint64_t> hashes(n);
  for (int64_t i = 0; i < n; ++i) hashes[i] = Mix64(static_cast<uint64_t>(i) * 2 + seed);
  return hashes;
}

TEST(JoinKeyFilter, NoFalseNegativesAndFewFalsePositives) {
  for (int64_t keys : {1, 100, 100'000}) {
    JoinKeyFilter filter(keys);
    const auto inserted = Hashes(keys, 0);
    for (uint64_t h : inserted) filter.Insert(h);
    for (uint64_t h : inserted) ASSERT_TRUE(filter.MayContain(h)) << keys;
    const auto others = Hashes(200'000, 1);  // odd inputs: none was inserted
    int64_t passed = 0;
    for (uint64_t h : others) passed += filter.MayContain(h);
    EXPECT_LT(passed, 200'000 * 3 / 100) << keys << " keys";
    EXPECT_LE(filter.size_bytes(), std::max<int64_t>(64, keys * 4)) << keys;
  }
}

// Threads that each insert the hashes of their own top bits (a parallel join build's
// regions) write words no other thread writes: the filter equals one filled serially.
TEST(JoinKeyFilter, InsertsByTopBitsFromThreadsEqualSerialOnes) {
  const auto hashes = Hashes(50'000, 0);
  JoinKeyFilter serial(50'000), split(50'000);
  ASSERT_GE(split.word_bits(), 6);
  for (uint64_t h : hashes) serial.Insert(h);
  std::vector<std::thread> threads;
  for (uint64_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t h : hashes) {
        if ((h >> 58) % 4 == t) split.Insert(h);  // of the 64 top-6-bit regions, every fourth
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const auto probes = Hashes(100'000, 1);
  for (uint64_t h : hashes) ASSERT_TRUE(split.MayContain(h));
  for (uint64_t h : probes) ASSERT_EQ(serial.MayContain(h), split.MayContain(h));
}

}  // namespace
}  // namespace sabot
