// JoinHashTable built on several threads (regions of slots, see Insert) finds the same
// matches in the same order as one built on one thread: chains keep build order.
#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <arrow/api.h>
#include <arrow/array/concatenate.h>
#include <gtest/gtest.h>

#include "sabot/ops/join_hash_table.h"

namespace sabot {
namespace {

// Build rows: key = a value drawn from `distinct` (null every 97th row), payload = row.
std::shared_ptr<arrow::RecordBatch> BuildRows(int64_t rows, int64_t distinct, bool string_key) {
  std::mt19937_64 random(42);
  std::unique_ptr<arrow::ArrayBuilder> key;
  if (string_key) {
    key = std::make_unique<arrow::StringBuilder>();
  } else {
    key = std::make_unique<arrow::Int64Builder>();
  }
  arrow::Int64Builder payload;
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t k = static_cast<int64_t>(random() % static_cast<uint64_t>(distinct));
    if (i % 97 == 0) {
      EXPECT_TRUE(key->AppendNull().ok());
    } else if (string_key) {
      EXPECT_TRUE(static_cast<arrow::StringBuilder&>(*key).Append("key-" + std::to_string(k)).ok());
    } else {
      EXPECT_TRUE(static_cast<arrow::Int64Builder&>(*key).Append(k).ok());
    }
    EXPECT_TRUE(payload.Append(i).ok());
  }
  auto schema = arrow::schema({arrow::field("k", string_key ? arrow::utf8() : arrow::int64()),
                               arrow::field("p", arrow::int64())});
  return arrow::RecordBatch::Make(schema, rows, {*key->Finish(), *payload.Finish()});
}

// Every (probe row, build row) pair the table gives for `probe`'s key column, in order.
std::vector<std::pair<uint32_t, uint32_t>> AllMatches(const JoinHashTable& table, const arrow::Array& probe) {
  auto keys = JoinKeys::Make({arrow::MakeArray(probe.data())});
  EXPECT_TRUE(keys.ok());
  std::vector<uint32_t> heads(static_cast<size_t>(probe.length())), ends(heads.size());
  table.FindChains(*keys, 0, probe.length(), heads.data(), ends.data());
  std::vector<std::pair<uint32_t, uint32_t>> pairs;
  JoinMatches out(4096);
  auto cursor = JoinHashTable::StartProbe(heads.data(), 0, probe.length());
  bool done = false;
  while (!done) {
    out.size = 0;
    done = table.Probe(*keys, heads.data(), ends.data(), probe.length(), &cursor, &out);
    for (int64_t i = 0; i < out.size; ++i) pairs.emplace_back(out.probe_rows[i], out.build_rows[i]);
  }
  return pairs;
}

void ExpectSameTables(int64_t rows, int64_t distinct, bool string_key, bool distinct_keys) {
  auto build = BuildRows(rows, distinct, string_key);
  ASSERT_GE(rows, JoinHashTable::kParallelBuildRows);  // else both builds are serial
  std::shared_ptr<const JoinHashTable> tables[2];
  for (int t = 0; t < 2; ++t) {
    JoinHashTableBuilder builder(build->schema(), {0});
    // Several batches, as a parallel build side delivers them.
    for (int64_t offset = 0; offset < rows; offset += 30'000) {
      ASSERT_TRUE(builder.Append(build->Slice(offset, 30'000)).ok());
    }
    auto table = builder.Finish(distinct_keys, t == 0 ? 1 : 5);
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    tables[t] = *table;
  }
  EXPECT_EQ(tables[0]->build_workers(), 1);
  // One key is one chain in one region: the insert then stays on one thread.
  EXPECT_EQ(tables[1]->build_workers(), distinct > 1 ? 5 : 1);
  // Probe with every key once, keys that are absent, and nulls.
  auto probe = BuildRows(std::max<int64_t>(distinct + distinct / 2, 3), distinct * 3 / 2 + 1, string_key)->column(0);
  auto serial = AllMatches(*tables[0], *probe);
  auto parallel = AllMatches(*tables[1], *probe);
  EXPECT_GT(serial.size(), static_cast<size_t>(distinct / 2));
  EXPECT_EQ(serial, parallel);
}

TEST(JoinHashTable, ParallelBuildMatchesSerialWithChains) {
  ExpectSameTables(250'000, 60'000, /*string_key=*/false, /*distinct_keys=*/false);
}

TEST(JoinHashTable, ParallelBuildMatchesSerialDistinctWordKeys) {
  ExpectSameTables(250'000, 60'000, /*string_key=*/false, /*distinct_keys=*/true);
}

TEST(JoinHashTable, ParallelBuildMatchesSerialDistinctStringKeys) {
  ExpectSameTables(200'000, 40'000, /*string_key=*/true, /*distinct_keys=*/true);
}

TEST(JoinHashTable, ParallelBuildOfOneKeyMatchesSerial) {
  // Every row in one chain: one region holds all, the others stay empty.
  ExpectSameTables(200'000, 1, /*string_key=*/false, /*distinct_keys=*/false);
}

// FindChains over any row range, with or without the key filter, gives every probe row
// exactly the build rows with its key (many rows search past their home slot at a load
// near 1/2; nulls find nothing).
TEST(JoinHashTable, FindChainsMatchesAReferenceOnAnyRange) {
  for (bool string_key : {false, true}) {
    auto build = BuildRows(40'000, 30'000, string_key);
    JoinHashTableBuilder builder(build->schema(), {0});
    ASSERT_TRUE(builder.Append(build).ok());
    auto table = builder.Finish(/*distinct_keys=*/false);
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    std::map<std::string, std::vector<uint32_t>> rows_of;  // key -> build rows, in order
    const auto& build_keys = *build->column(0);
    for (int64_t i = 0; i < build->num_rows(); ++i) {
      if (build_keys.IsValid(i)) rows_of[(*build_keys.GetScalar(i))->ToString()].push_back(static_cast<uint32_t>(i));
    }
    auto probe = BuildRows(5'000, 60'000, string_key)->column(0);
    auto keys = JoinKeys::Make({probe});
    ASSERT_TRUE(keys.ok());
    const int64_t n = probe->length();
    // Ranges that start and end off any filter block boundary, and one row alone.
    for (auto [begin, end] : {std::pair<int64_t, int64_t>{0, n}, {3, 4}, {17, 3'001}, {1'023, 1'025}, {4'000, n}}) {
      for (bool use_filter : {false, true}) {
        std::vector<uint32_t> heads(static_cast<size_t>(n), 7), ends(heads.size(), 7);
        const int64_t passed = (*table)->FindChains(*keys, begin, end, heads.data(), ends.data(), use_filter);
        EXPECT_LE(passed, end - begin);
        EXPECT_EQ(passed, use_filter ? passed : end - begin);
        JoinMatches out(1 << 16);
        auto cursor = JoinHashTable::StartProbe(heads.data(), begin, end);
        ASSERT_TRUE((*table)->Probe(*keys, heads.data(), ends.data(), end, &cursor, &out));
        std::map<uint32_t, std::vector<uint32_t>> found;
        for (int64_t i = 0; i < out.size; ++i) found[out.probe_rows[i]].push_back(out.build_rows[i]);
        for (int64_t i = begin; i < end; ++i) {
          std::vector<uint32_t> expected;
          if (probe->IsValid(i)) {
            auto it = rows_of.find((*probe->GetScalar(i))->ToString());
            if (it != rows_of.end()) expected = it->second;
          }
          ASSERT_EQ(found[static_cast<uint32_t>(i)], expected)
              << "row " << i << " of [" << begin << ", " << end << ")" << (use_filter ? " with the filter" : "");
        }
        // Rows outside the range are left alone.
        EXPECT_EQ(begin > 0 ? heads[begin - 1] : 7u, 7u);
        EXPECT_EQ(end < n ? ends[end] : 7u, 7u);
      }
    }
  }
}

TEST(JoinKeys, HashesAndNullsAreTheSameOnAnyNumberOfThreads) {
  // Two key columns (an integer and a string, both with nulls, at different rows).
  auto ints = BuildRows(100'003, 1'000, /*string_key=*/false)->column(0);
  auto strings = BuildRows(100'003, 5'000, /*string_key=*/true)->column(0);
  auto shifted = arrow::Concatenate({strings->Slice(7), strings->Slice(0, 7)});
  ASSERT_TRUE(shifted.ok());
  auto serial = JoinKeys::Make({ints, *shifted}, 1);
  auto parallel = JoinKeys::Make({ints, *shifted}, 4);
  ASSERT_TRUE(serial.ok() && parallel.ok());
  ASSERT_TRUE(serial->has_nulls() && parallel->has_nulls());
  for (int64_t i = 0; i < serial->num_rows(); ++i) {
    ASSERT_EQ(serial->hashes()[i], parallel->hashes()[i]) << "row " << i;
    ASSERT_EQ(serial->valid(i), parallel->valid(i)) << "row " << i;
    // A row is valid exactly when neither key is null.
    ASSERT_EQ(serial->valid(i), ints->IsValid(i) && (*shifted)->IsValid(i)) << "row " << i;
  }
  EXPECT_EQ(EstimateDistinctHashes(serial->hashes(), serial->num_rows(), 1),
            EstimateDistinctHashes(serial->hashes(), serial->num_rows(), 3));
}

}  // namespace
}  // namespace sabot
