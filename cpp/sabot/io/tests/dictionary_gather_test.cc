// Tests for GatherClamped: the values a plain loop gives, for 4- and 8-byte values, at
// every length around the vector widths (16 and 8), of every index or at selected
// positions, and with indices past the last entry or negative, which are clamped and
// reported as the largest index.
#include <algorithm>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "sabot/io/dictionary_gather.h"

namespace sabot {
namespace {

template <typename T>
void ExpectAsALoop(int64_t n, int64_t entries, bool out_of_range) {
  std::mt19937 rng(static_cast<uint32_t>(n * 31 + entries));
  std::vector<T> dictionary(static_cast<size_t>(entries));
  for (auto& v : dictionary) v = static_cast<T>(rng()) * 977 + 5;
  std::vector<int32_t> indices(static_cast<size_t>(n));
  for (auto& i : indices) i = static_cast<int32_t>(rng() % static_cast<uint32_t>(entries));
  if (out_of_range && n > 0) {
    indices[static_cast<size_t>(rng() % n)] = static_cast<int32_t>(entries + 3);
    indices[static_cast<size_t>(rng() % n)] = -2;
  }
  const auto last = static_cast<uint32_t>(entries - 1);
  std::vector<T> want(static_cast<size_t>(n)), got(static_cast<size_t>(n) + 1, T{42});
  uint32_t want_largest = 0;
  for (int64_t i = 0; i < n; ++i) {
    const auto index = static_cast<uint32_t>(indices[static_cast<size_t>(i)]);
    want_largest = std::max(want_largest, index);
    want[static_cast<size_t>(i)] = dictionary[std::min(index, last)];
  }
  const uint32_t largest =
      GatherClamped<static_cast<int>(sizeof(T))>(indices.data(), n, dictionary.data(), last, got.data());
  EXPECT_EQ(largest, want_largest) << n << " values, " << entries << " entries";
  EXPECT_EQ(LargestIndex(indices.data(), n), want_largest) << n << " values, " << entries << " entries";
  EXPECT_TRUE(std::equal(want.begin(), want.end(), got.begin())) << n << " values, " << entries << " entries";
  EXPECT_EQ(got[static_cast<size_t>(n)], T{42}) << "wrote past the end";

  // At selected positions (every third, and the last): only their indices count.
  std::vector<int32_t> at;
  for (int64_t i = 0; i < n; i += 3) at.push_back(static_cast<int32_t>(i));
  if (n > 0 && at.back() != n - 1) at.push_back(static_cast<int32_t>(n - 1));
  const auto m = static_cast<int64_t>(at.size());
  std::vector<T> want_at(static_cast<size_t>(m)), got_at(static_cast<size_t>(m) + 1, T{42});
  uint32_t want_largest_at = 0;
  for (int64_t i = 0; i < m; ++i) {
    const auto index = static_cast<uint32_t>(indices[static_cast<size_t>(at[static_cast<size_t>(i)])]);
    want_largest_at = std::max(want_largest_at, index);
    want_at[static_cast<size_t>(i)] = dictionary[std::min(index, last)];
  }
  const uint32_t largest_at = GatherClamped<static_cast<int>(sizeof(T))>(indices.data(), m, dictionary.data(), last,
                                                                         got_at.data(), at.data());
  EXPECT_EQ(largest_at, want_largest_at) << n << " values, " << entries << " entries, selected";
  EXPECT_TRUE(std::equal(want_at.begin(), want_at.end(), got_at.begin())) << n << " values, selected";
  EXPECT_EQ(got_at[static_cast<size_t>(m)], T{42}) << "wrote past the end, selected";
}

// LargestIndex is checked on the same indices (negative ones among them).
TEST(GatherClamped, SameAsALoopAtEveryLengthAndWidth) {
  // A third of the values selected: 16 of them from 46 on.
  for (int64_t n : {0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 47, 48, 49, 1000, 65536}) {
    for (int64_t entries : {1, 5, 2500, 100000}) {
      for (bool out_of_range : {false, true}) {
        ExpectAsALoop<uint32_t>(n, entries, out_of_range);
        ExpectAsALoop<uint64_t>(n, entries, out_of_range);
      }
    }
  }
}

}  // namespace
}  // namespace sabot
