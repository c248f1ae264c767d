// SelectByEntries against a plain loop: every length around the 16-row step, one to
// three tests, with and without a keep vector, and rows past `n` never written beyond the
// room the header promises.
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "sabot/ops/select_by_entries.h"

namespace sabot {
namespace {

TEST(SelectByEntries, SameAsALoop) {
  std::mt19937 rng(21);
  for (int64_t n : {0, 1, 15, 16, 17, 31, 32, 33, 100, 65536}) {
    for (int count = 1; count <= 3; ++count) {
      for (bool with_keep : {false, true}) {
        for (int entries : {1, 11, 2500}) {
          // Truth tables of different densities, zero-padded as the header asks.
          std::vector<std::vector<uint8_t>> truth(3);
          std::vector<std::vector<int32_t>> index(3);
          std::vector<EntryTest> tests;
          for (int t = 0; t < count; ++t) {
            truth[t].assign(static_cast<size_t>(entries) + kTruthPadding, 0);
            for (int e = 0; e < entries; ++e) truth[t][static_cast<size_t>(e)] = rng() % 4 != 0;
            for (int64_t i = 0; i < n; ++i) index[t].push_back(static_cast<int32_t>(rng() % entries));
            tests.push_back({truth[t].data(), index[t].data()});
          }
          std::vector<uint8_t> keep;
          for (int64_t i = 0; i < n; ++i) keep.push_back(static_cast<uint8_t>(rng() % 5 == 0 ? 0 : 1 + rng() % 3));
          std::vector<int32_t> want;
          for (int64_t i = 0; i < n; ++i) {
            bool pass = !with_keep || keep[static_cast<size_t>(i)] != 0;
            for (int t = 0; t < count; ++t) pass = pass && truth[t][static_cast<size_t>(index[t][static_cast<size_t>(i)])];
            if (pass) want.push_back(static_cast<int32_t>(i));
          }
          std::vector<int32_t> rows(static_cast<size_t>(n) + 16, -7);
          const size_t got =
              SelectByEntries(n, with_keep ? keep.data() : nullptr, tests.data(), count, rows.data());
          ASSERT_EQ(got, want.size()) << n << " rows, " << count << " tests, keep " << with_keep;
          rows.resize(got);
          EXPECT_EQ(rows, want) << n << " rows, " << count << " tests, keep " << with_keep;
        }
      }
    }
  }
}

}  // namespace
}  // namespace sabot
