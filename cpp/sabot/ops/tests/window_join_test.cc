// Window join: pairs of equal keys in the same tumbling or sliding window, as rows
// arrive on either side; state released by the other side's watermark; streaming == a
// brute-force reference over random batches and watermarks; errors.
#include <algorithm>
#include <random>
#include <tuple>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/tests/event_time_join_test_util.h"
#include "sabot/ops/window_join.h"

namespace sabot {
namespace {

using testing::EventRow;
using testing::JoinHarness;
using testing::KeyTimeIdBatch;
using testing::RandomEventRows;

std::shared_ptr<arrow::Schema> Schema() { return testing::KeyTimeIdSchema(); }

WindowJoinSpec Spec(int64_t size, int64_t slide) {
  WindowJoinSpec spec;
  spec.left_keys = {"k"};
  spec.right_keys = {"k"};
  spec.left_time = "ts";
  spec.right_time = "ts";
  spec.size_us = size;
  spec.slide_us = slide;
  return spec;
}

using Triple = std::tuple<int64_t, int64_t, int64_t>;  // window start, left id, right id

struct Harness : JoinHarness {
  explicit Harness(const WindowJoinSpec& spec)
      : JoinHarness(MakeWindowJoin(Schema(), Schema(), spec).ValueOrDie()),
        join(dynamic_cast<WindowJoinOperator*>(op.get())),
        size(spec.size_us) {}
  using JoinHarness::Push;
  void Push(int port, const std::string& json) { JoinHarness::Push(port, Schema(), json); }
  std::vector<Triple> Triples() const {
    std::vector<Triple> triples;
    for (const auto& m : out->messages) {
      if (!m.is_batch()) continue;
      const auto& b = *m.batch();
      const auto& start = static_cast<const arrow::TimestampArray&>(*b.column(0));
      const auto& end = static_cast<const arrow::TimestampArray&>(*b.column(1));
      const auto& left = static_cast<const arrow::Int64Array&>(*b.column(4));
      const auto& right = static_cast<const arrow::Int64Array&>(*b.column(7));
      for (int64_t i = 0; i < b.num_rows(); ++i) {
        EXPECT_EQ(end.Value(i) - start.Value(i), size);
        triples.emplace_back(start.Value(i), left.Value(i), right.Value(i));
      }
    }
    std::sort(triples.begin(), triples.end());
    return triples;
  }

  WindowJoinOperator* join;
  int64_t size;
};

TEST(WindowJoin, OutputSchemaLeadsWithTheWindow) {
  Harness h(Spec(10, 10));
  EXPECT_EQ(h.op->name(), "WindowJoin");
  EXPECT_EQ(h.op->output_schema()->field_names(),
            (std::vector<std::string>{"window_start", "window_end", "k", "ts", "id", "k_right", "ts_right", "id_right"}));
}

TEST(WindowJoin, TumblingPairsRowsOfOneKeyAndWindowAsTheyArrive) {
  Harness h(Spec(10, 10));
  h.Push(0, R"([{"k": 1, "ts": 100, "id": 1}, {"k": 1, "ts": 109, "id": 2}, {"k": 2, "ts": 100, "id": 3},
                {"k": null, "ts": 100, "id": 4}])");
  EXPECT_TRUE(h.Triples().empty());
  // 100..109 is one window; 110 the next; a null key matches nothing.
  h.Push(1, R"([{"k": 1, "ts": 105, "id": 10}, {"k": 1, "ts": 110, "id": 11}, {"k": null, "ts": 101, "id": 12},
                {"k": 2, "ts": 99, "id": 13}])");
  EXPECT_EQ(h.Triples(), (std::vector<Triple>{{100, 1, 10}, {100, 2, 10}}));
  h.Push(0, R"([{"k": 1, "ts": 115, "id": 5}])");
  EXPECT_EQ(h.Triples(), (std::vector<Triple>{{100, 1, 10}, {100, 2, 10}, {110, 5, 11}}));
}

TEST(WindowJoin, SlidingPairsMeetOncePerSharedWindow) {
  Harness h(Spec(10, 5));
  h.Push(0, R"([{"k": 1, "ts": 107, "id": 1}])");  // windows 100 and 105
  h.Push(1, R"([{"k": 1, "ts": 108, "id": 10}, {"k": 1, "ts": 103, "id": 11}, {"k": 1, "ts": 112, "id": 12}])");
  EXPECT_EQ(h.Triples(), (std::vector<Triple>{{100, 1, 10}, {100, 1, 11}, {105, 1, 10}, {105, 1, 12}}));
}

TEST(WindowJoin, TheOtherSidesWatermarkReleasesAWindowAndTheOutputIsTheMinimum) {
  Harness h(Spec(10, 10));
  h.Push(0, R"([{"k": 1, "ts": 100, "id": 1}, {"k": 1, "ts": 115, "id": 2}])");
  h.Push(1, R"([{"k": 1, "ts": 105, "id": 10}])");
  EXPECT_EQ(h.join->state_rows(), 3);
  h.Push(0, Message::Watermark(200));  // right window 100 has no left rows to wait for
  EXPECT_EQ(h.join->state_rows(), 2);
  EXPECT_TRUE(h.out->Controls().empty());
  h.Push(1, Message::Watermark(110));  // left window 100 closed; 110 still open
  EXPECT_EQ(h.join->state_rows(), 1);
  EXPECT_EQ(h.out->Controls(), (std::vector<std::string>{"Watermark(110)"}));
  // A row whose windows the other side already closed is matched but not held.
  h.Push(1, R"([{"k": 1, "ts": 119, "id": 11}])");
  EXPECT_EQ(h.join->state_rows(), 1);
  h.Push(1, Message::EndOfStream());
  EXPECT_EQ(h.join->state_rows(), 0);
  EXPECT_EQ(h.join->state_batches(), 0);
  h.Push(0, Message::EndOfStream());
  EXPECT_EQ(h.out->Controls(), (std::vector<std::string>{"Watermark(110)", "Watermark(200)", "EndOfStream"}));
}

TEST(WindowJoin, StreamingEqualsBruteForceOverRandomBatchesAndWatermarks) {
  const int64_t bound = 200;  // out-of-orderness of each side
  for (auto [size, slide] : {std::pair<int64_t, int64_t>{100, 100}, {300, 100}, {250, 60}, {1, 1}}) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      SCOPED_TRACE("size " + std::to_string(size) + " slide " + std::to_string(slide) + " seed " +
                   std::to_string(seed));
      std::mt19937_64 rng(seed);
      const std::vector<EventRow> sides[2] = {RandomEventRows(rng, 500, 0, 6, 20, bound),
                                              RandomEventRows(rng, 500, 10000, 6, 20, bound)};
      std::vector<Triple> expected;
      auto floor_div = [](int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
      for (const auto& l : sides[0]) {
        for (const auto& r : sides[1]) {
          if (l.k != r.k) continue;
          for (int64_t start = floor_div(l.ts, slide) * slide; start + size > l.ts; start -= slide) {
            if (r.ts >= start && r.ts < start + size) expected.emplace_back(start, l.id, r.id);
          }
        }
      }
      std::sort(expected.begin(), expected.end());

      Harness h(Spec(size, slide));
      const int64_t peak = h.PushInterleaved(
          sides, rng, bound, [&](int side, size_t begin, size_t end) { return KeyTimeIdBatch(sides[side], begin, end); });
      h.Push(0, Message::Watermark(1'000'000));
      h.Push(1, Message::Watermark(1'000'000));
      EXPECT_EQ(h.join->state_rows(), 0);
      EXPECT_EQ(h.join->state_batches(), 0);
      EXPECT_LT(peak, 1000 * (size / slide)) << "watermarks should have released rows along the way";
      EXPECT_EQ(h.Triples(), expected);
    }
  }
}

TEST(WindowJoin, ErrorsNameWhatIsWrong) {
  auto size = MakeWindowJoin(Schema(), Schema(), Spec(0, 0));
  EXPECT_NE(size.status().message().find("window size must be positive, got 0 us"), std::string::npos);
  auto slide = MakeWindowJoin(Schema(), Schema(), Spec(10, 20));
  EXPECT_NE(slide.status().message().find("window slide (20 us) must not exceed the window size (10 us)"),
            std::string::npos);
  WindowJoinSpec time = Spec(10, 10);
  time.right_time = "id";
  auto wrong_time = MakeWindowJoin(Schema(), Schema(), time);
  EXPECT_NE(wrong_time.status().message().find("right time column 'id': expected a timestamp"), std::string::npos)
      << wrong_time.status().ToString();
  WindowJoinSpec key = Spec(10, 10);
  key.left_keys = {"nope"};
  auto missing = MakeWindowJoin(Schema(), Schema(), key);
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos) << missing.status().ToString();
  auto int32_right = arrow::schema({arrow::field("k", arrow::int32()),
                                    arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO))});
  auto types = MakeWindowJoin(Schema(), int32_right, Spec(10, 10));
  EXPECT_NE(types.status().message().find("window join key 0: left k is int64, right k is int32"), std::string::npos)
      << types.status().ToString();
  auto clash = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("window_start", arrow::int64()),
                              arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO))});
  auto clashing = MakeWindowJoin(clash, Schema(), Spec(10, 10));
  EXPECT_NE(clashing.status().message().find("'window_start' clashes"), std::string::npos)
      << clashing.status().ToString();
}

}  // namespace
}  // namespace sabot
