// Helpers for the tests of two-input event-time joins: random inputs with bounded
// out-of-orderness, pushed in random batches with watermarks, and a harness that records
// the join's output.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/tests/test_util.h"

namespace sabot::testing {

//! k int64, ts timestamp[us], id int64: the rows of EventRows.
inline std::shared_ptr<arrow::Schema> KeyTimeIdSchema() {
  return arrow::schema({arrow::field("k", arrow::int64()), arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO)),
                        arrow::field("id", arrow::int64())});
}

//! A row of a random input; `clock` is the time it arrives at, `tag` a spare random
//! number a test may use (say, a changelog op).
struct EventRow {
  int64_t k, ts, id, clock, tag;
};

//! `n` rows of keys 0..keys-1 and ids first_id.., as a clock ticks 1..max_step per row;
//! each row's time lies up to `bound` - 1 behind the clock.
inline std::vector<EventRow> RandomEventRows(std::mt19937_64& rng, int n, int64_t first_id, int64_t keys,
                                             int64_t max_step, int64_t bound) {
  std::vector<EventRow> rows;
  int64_t clock = 0;
  for (int i = 0; i < n; ++i) {
    clock += 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(max_step));
    const int64_t ts = clock - static_cast<int64_t>(rng() % static_cast<uint64_t>(bound));
    rows.push_back({static_cast<int64_t>(rng() % static_cast<uint64_t>(keys)), ts, first_id + i, clock,
                    static_cast<int64_t>(rng() % 1000)});
  }
  return rows;
}

//! Rows [begin, end) as a KeyTimeIdSchema batch.
inline std::shared_ptr<arrow::RecordBatch> KeyTimeIdBatch(const std::vector<EventRow>& rows, size_t begin,
                                                          size_t end) {
  arrow::Int64Builder k, id;
  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::MICRO), arrow::default_memory_pool());
  for (size_t i = begin; i < end; ++i) {
    EXPECT_TRUE(k.Append(rows[i].k).ok());
    EXPECT_TRUE(ts.Append(rows[i].ts).ok());
    EXPECT_TRUE(id.Append(rows[i].id).ok());
  }
  return arrow::RecordBatch::Make(KeyTimeIdSchema(), static_cast<int64_t>(end - begin),
                                  {k.Finish().ValueOrDie(), ts.Finish().ValueOrDie(), id.Finish().ValueOrDie()});
}

//! A two-input operator (input 0 left, 1 right) with a recorder behind it.
struct JoinHarness {
  explicit JoinHarness(std::unique_ptr<Operator> join) : op(std::move(join)) {
    out = std::make_unique<RecordingOperator>(op->output_schema());
    op->ConnectTo(out.get(), 0);
  }
  void Push(int port, Message m) {
    auto flow = op->Push(port, std::move(m));
    ASSERT_TRUE(flow.ok()) << flow.status().ToString();
  }
  void Push(int port, const std::shared_ptr<arrow::Schema>& schema, const std::string& json) {
    Push(port, Message::Batch(BatchFromJson(schema, json)));
  }
  //! Of every output row, the int64 columns `a` and `b` (-1 for null), sorted.
  std::vector<std::pair<int64_t, int64_t>> Pairs(int a, int b) const {
    std::vector<std::pair<int64_t, int64_t>> pairs;
    for (const auto& m : out->messages) {
      if (!m.is_batch()) continue;
      const auto& x = static_cast<const arrow::Int64Array&>(*m.batch()->column(a));
      const auto& y = static_cast<const arrow::Int64Array&>(*m.batch()->column(b));
      for (int64_t i = 0; i < m.batch()->num_rows(); ++i) {
        pairs.emplace_back(x.IsValid(i) ? x.Value(i) : -1, y.IsValid(i) ? y.Value(i) : -1);
      }
    }
    std::sort(pairs.begin(), pairs.end());
    return pairs;
  }

  //! Pushes both sides in batches of 1 to 50 rows, the side picked at random; after half
  //! of the batches the watermark of their side (its clock - `bound`). Returns the most
  //! state rows the operator held after a message.
  int64_t PushInterleaved(const std::vector<EventRow> (&sides)[2], std::mt19937_64& rng, int64_t bound,
                          const std::function<std::shared_ptr<arrow::RecordBatch>(int, size_t, size_t)>& batch) {
    size_t next[2] = {0, 0};
    const size_t n[2] = {sides[0].size(), sides[1].size()};
    int64_t peak = 0;
    while (next[0] < n[0] || next[1] < n[1]) {
      const int side = next[0] == n[0] ? 1 : next[1] == n[1] ? 0 : static_cast<int>(rng() % 2);
      const size_t end = std::min<size_t>(n[side], next[side] + 1 + rng() % 50);
      Push(side, Message::Batch(batch(side, next[side], end)));
      peak = std::max(peak, op->state_rows());
      if (rng() % 2 == 0) Push(side, Message::Watermark(sides[side][end - 1].clock - bound));
      next[side] = end;
    }
    return peak;
  }

  std::unique_ptr<Operator> op;
  std::unique_ptr<RecordingOperator> out;
};

}  // namespace sabot::testing
