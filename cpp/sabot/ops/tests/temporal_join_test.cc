// Temporal join: each stream row meets its key's version valid at its time; changelog
// ops (delete ends a version, update_before is ignored); versions released once no
// stream row can need them; streaming == a brute-force reference over random batches and
// watermarks; errors.
#include <algorithm>
#include <random>
#include <tuple>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/asof_join.h"
#include "sabot/ops/temporal_join.h"
#include "sabot/ops/tests/event_time_join_test_util.h"

namespace sabot {
namespace {

using testing::BatchFromJson;
using testing::EventRow;
using testing::JoinHarness;
using testing::KeyTimeIdBatch;
using testing::RandomEventRows;
using testing::RecordingOperator;

std::shared_ptr<arrow::Schema> Stream() { return testing::KeyTimeIdSchema(); }

std::shared_ptr<arrow::Schema> Table() {
  return arrow::schema({arrow::field("k", arrow::int64()),
                        arrow::field("valid_from", arrow::timestamp(arrow::TimeUnit::MICRO)),
                        arrow::field("v", arrow::int64()), arrow::field("op", arrow::utf8())});
}

TemporalJoinSpec Spec(JoinType type, const std::string& op_column = "op") {
  TemporalJoinSpec spec;
  spec.type = type;
  spec.left_keys = {"k"};
  spec.right_keys = {"k"};
  spec.left_time = "ts";
  spec.version_time = "valid_from";
  spec.op_column = op_column;
  return spec;
}

using Pair = std::pair<int64_t, int64_t>;  // stream id, version value (-1: none)

struct Harness : JoinHarness {
  explicit Harness(const TemporalJoinSpec& spec)
      : JoinHarness(MakeTemporalJoin(Stream(), Table(), spec).ValueOrDie()),
        join(dynamic_cast<AsofJoinOperator*>(op.get())) {}
  using JoinHarness::Push;
  void Push(int port, const std::string& json) { JoinHarness::Push(port, port == 0 ? Stream() : Table(), json); }
  std::vector<Pair> Pairs() const { return JoinHarness::Pairs(2, 5); }
  AsofJoinOperator* join;
};

TEST(TemporalJoin, EachRowMeetsTheVersionValidAtItsTime) {
  Harness h(Spec(JoinType::kLeft));
  EXPECT_EQ(h.op->name(), "TemporalJoin");
  EXPECT_EQ(h.op->output_schema()->field_names(),
            (std::vector<std::string>{"k", "ts", "id", "k_right", "valid_from", "v", "op"}));
  h.Push(1, R"([{"k": 1, "valid_from": 100, "v": 1, "op": "insert"},
                {"k": 1, "valid_from": 200, "v": 2, "op": "update_before"},
                {"k": 1, "valid_from": 200, "v": 3, "op": "update_after"},
                {"k": 1, "valid_from": 300, "v": 3, "op": "delete"},
                {"k": 1, "valid_from": 400, "v": 4, "op": "insert"}])");
  h.Push(0, R"([{"k": 1, "ts": 99, "id": 1}, {"k": 1, "ts": 100, "id": 2}, {"k": 1, "ts": 250, "id": 3},
                {"k": 1, "ts": 300, "id": 4}, {"k": 1, "ts": 399, "id": 5}, {"k": 1, "ts": 500, "id": 6},
                {"k": 2, "ts": 500, "id": 7}])");
  EXPECT_TRUE(h.Pairs().empty());  // waiting for the table's watermark
  h.Push(1, Message::Watermark(350));
  EXPECT_EQ(h.Pairs(), (std::vector<Pair>{{1, -1}, {2, 1}, {3, 3}, {4, -1}}));
  h.Push(1, Message::EndOfStream());
  EXPECT_EQ(h.Pairs(), (std::vector<Pair>{{1, -1}, {2, 1}, {3, 3}, {4, -1}, {5, -1}, {6, 4}, {7, -1}}));
}

TEST(TemporalJoin, VersionsNoRowCanNeedAreReleased) {
  Harness h(Spec(JoinType::kInner));
  h.Push(1, R"([{"k": 1, "valid_from": 100, "v": 1, "op": "insert"},
                {"k": 1, "valid_from": 200, "v": 2, "op": "update_after"},
                {"k": 1, "valid_from": 300, "v": 3, "op": "update_after"},
                {"k": 2, "valid_from": 100, "v": 9, "op": "insert"}])");
  EXPECT_EQ(h.join->state_rows(), 4);
  h.Push(0, Message::Watermark(250));  // stream rows to come are after 250: 200 is the oldest needed
  EXPECT_EQ(h.join->state_rows(), 3);
  h.Push(0, Message::Watermark(1000));  // the newest version of each key is all it takes
  EXPECT_EQ(h.join->state_rows(), 2);
  h.Push(0, R"([{"k": 1, "ts": 1001, "id": 1}])");
  h.Push(1, Message::Watermark(2000));
  EXPECT_EQ(h.Pairs(), (std::vector<Pair>{{1, 3}}));
  EXPECT_EQ(h.join->state_rows(), 2);
  h.Push(0, Message::EndOfStream());
  EXPECT_EQ(h.join->state_rows(), 0);
  EXPECT_EQ(h.join->state_batches(), 0);
}

TEST(TemporalJoin, WithoutAnOpColumnEveryRowIsAVersion) {
  auto table = arrow::schema({arrow::field("k", arrow::int64()),
                              arrow::field("valid_from", arrow::timestamp(arrow::TimeUnit::MILLI)),
                              arrow::field("v", arrow::int64())});
  auto op = MakeTemporalJoin(Stream(), table, Spec(JoinType::kInner, "")).ValueOrDie();
  RecordingOperator out(op->output_schema());
  op->ConnectTo(&out, 0);
  ASSERT_TRUE(op->Push(1, Message::Batch(BatchFromJson(table, R"([{"k": 1, "valid_from": 1, "v": 7}])"))).ok());
  ASSERT_TRUE(op->Push(0, Message::Batch(BatchFromJson(Stream(), R"([{"k": 1, "ts": 1000, "id": 1},
                                                                     {"k": 1, "ts": 999, "id": 2}])"))).ok());
  ASSERT_TRUE(op->Push(1, Message::EndOfStream()).ok());
  auto result = out.Table();
  ASSERT_EQ(result->num_rows(), 1);  // 1 ms is 1000 us
  EXPECT_EQ(result->GetColumnByName("id")->chunk(0)->ToString(), "[\n  1\n]");
}

TEST(TemporalJoin, StreamingEqualsBruteForceOverRandomBatchesAndWatermarks) {
  const int64_t bound = 200;
  const char* kOps[] = {"insert", "update_before", "update_after", "delete"};
  for (JoinType type : {JoinType::kInner, JoinType::kLeft}) {
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      SCOPED_TRACE(std::string(ToString(type)) + " seed " + std::to_string(seed));
      std::mt19937_64 rng(seed);
      std::vector<EventRow> sides[2] = {RandomEventRows(rng, 500, 0, 5, 20, bound),
                                        RandomEventRows(rng, 500, 10000, 5, 60, bound)};
      for (auto& row : sides[1]) row.tag %= 4;  // the changelog op, an index into kOps
      std::vector<Pair> expected;
      for (const auto& l : sides[0]) {
        const EventRow* best = nullptr;
        for (const auto& r : sides[1]) {  // update_before is no version; ties: the last to arrive
          if (r.tag != 1 && r.k == l.k && r.ts <= l.ts && (best == nullptr || r.ts >= best->ts)) best = &r;
        }
        if (best != nullptr && best->tag == 3) best = nullptr;
        if (best != nullptr || type == JoinType::kLeft) expected.emplace_back(l.id, best ? best->id : -1);
      }
      std::sort(expected.begin(), expected.end());

      Harness h(Spec(type));
      auto to_batch = [&](int side, size_t begin, size_t end) {
        auto batch = KeyTimeIdBatch(sides[side], begin, end);
        if (side == 0) return batch;
        arrow::StringBuilder op;
        for (size_t i = begin; i < end; ++i) EXPECT_TRUE(op.Append(kOps[sides[side][i].tag]).ok());
        return arrow::RecordBatch::Make(Table(), batch->num_rows(),
                                        {batch->column(0), batch->column(1), batch->column(2), op.Finish().ValueOrDie()});
      };
      const int64_t peak = h.PushInterleaved(sides, rng, bound, to_batch);
      h.Push(1, Message::EndOfStream());
      h.Push(0, Message::Watermark(10'000'000));
      EXPECT_LE(h.join->state_rows(), 5) << "the newest version per key";
      h.Push(0, Message::EndOfStream());
      EXPECT_EQ(h.join->state_rows(), 0);
      EXPECT_LT(peak, 500) << "watermarks should have released versions along the way";
      // The version value column is the table's id here.
      const auto got = h.Pairs();
      EXPECT_EQ(got, expected);
    }
  }
}

TEST(TemporalJoin, ErrorsNameWhatIsWrong) {
  auto no_op = MakeTemporalJoin(Stream(), Table(), Spec(JoinType::kInner, "kind"));
  EXPECT_NE(no_op.status().message().find("op column 'kind' is not a right column"), std::string::npos)
      << no_op.status().ToString();
  auto int_op = MakeTemporalJoin(Stream(), Table(), Spec(JoinType::kInner, "v"));
  EXPECT_NE(int_op.status().message().find("op column 'v' is int64; expected string"), std::string::npos)
      << int_op.status().ToString();
  TemporalJoinSpec time = Spec(JoinType::kInner);
  time.version_time = "v";
  auto wrong_time = MakeTemporalJoin(Stream(), Table(), time);
  EXPECT_NE(wrong_time.status().message().find("version time column 'v': expected a timestamp"), std::string::npos)
      << wrong_time.status().ToString();
  auto full = MakeTemporalJoin(Stream(), Table(), Spec(JoinType::kFull));
  EXPECT_NE(full.status().message().find("temporal join: type full is not supported"), std::string::npos);
  auto string_key = arrow::schema({arrow::field("k", arrow::utf8()),
                                   arrow::field("valid_from", arrow::timestamp(arrow::TimeUnit::MICRO)),
                                   arrow::field("op", arrow::utf8())});
  auto types = MakeTemporalJoin(Stream(), string_key, Spec(JoinType::kInner));
  EXPECT_NE(types.status().message().find("join key 0: left k is int64, right k is string"), std::string::npos)
      << types.status().ToString();

  Harness h(Spec(JoinType::kInner));
  auto bad = h.op->Push(1, Message::Batch(BatchFromJson(Table(), R"([{"k": 1, "valid_from": 1, "v": 1, "op": "upsert"}])")));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("TemporalJoin: op column 'op' holds 'upsert' at row 0 (expected insert, "
                                        "update_before, update_after or delete)"),
            std::string::npos)
      << bad.status().ToString();
}

}  // namespace
}  // namespace sabot
