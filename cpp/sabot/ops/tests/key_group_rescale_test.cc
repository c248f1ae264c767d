// Rescaling keyed event-time operators: state snapshotted per key group mid-stream and
// split over two instances gives the output of one uninterrupted instance and of batch
// mode; state size per key group; bad snapshots are clear errors.
#include <algorithm>
#include <map>
#include <random>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/asof_join.h"
#include "sabot/ops/changelog_aggregate.h"
#include "sabot/ops/changelog_join.h"
#include "sabot/ops/interval_join.h"
#include "sabot/ops/temporal_join.h"
#include "sabot/ops/tests/rescale_test_util.h"
#include "sabot/ops/window_aggregate.h"
#include "sabot/ops/window_join.h"

namespace sabot {
namespace {

using testing::PortMessage;
using testing::RunRescaled;
using AF = AggregateFunction;

std::shared_ptr<arrow::Schema> Input() {
  return arrow::schema({arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO)), arrow::field("k", arrow::utf8()),
                        arrow::field("v", arrow::int64()), arrow::field("s", arrow::utf8())});
}
const std::vector<int> kKey = {1};

// Every accumulator family, so each one's state goes through a snapshot.
const std::vector<AggregateSpec> kAggregates = {
    {AF::kSum, "v", "sum"},         {AF::kCountAll, "", "n"},     {AF::kMean, "v", "mean"},
    {AF::kStddev, "v", "stddev"},   {AF::kMin, "s", "min_s"},     {AF::kMax, "v", "max_v"},
    {AF::kFirst, "v", "first_v"},   {AF::kLast, "s", "last_s"},   {AF::kCountDistinct, "v", "distinct_v"}};

//! Rows of `keys` keys with event times at most `bound` behind a clock, in random batches,
//! a watermark (clock - bound) after some of them, then EndOfStream.
std::vector<PortMessage> RandomStream(uint64_t seed, int keys, int rows, int64_t bound = 300, int64_t step = 40) {
  std::mt19937_64 rng(seed);
  std::vector<PortMessage> out;
  int64_t clock = 0;
  for (int done = 0; done < rows;) {
    const int n = std::min(rows - done, 1 + static_cast<int>(rng() % 120));
    arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::MICRO), arrow::default_memory_pool());
    arrow::StringBuilder k, s;
    arrow::Int64Builder v;
    for (int i = 0; i < n; ++i) {
      clock += static_cast<int64_t>(rng() % static_cast<uint64_t>(step));
      EXPECT_TRUE(ts.Append(clock - static_cast<int64_t>(rng() % static_cast<uint64_t>(bound))).ok());
      EXPECT_TRUE(k.Append("key" + std::to_string(rng() % static_cast<uint64_t>(keys))).ok());
      EXPECT_TRUE(v.Append(static_cast<int64_t>(rng() % 50) - 10).ok());
      EXPECT_TRUE(s.Append(std::string(1, static_cast<char>('a' + rng() % 26))).ok());
    }
    done += n;
    out.push_back({0, Message::Batch(arrow::RecordBatch::Make(
                          Input(), n,
                          {ts.Finish().ValueOrDie(), k.Finish().ValueOrDie(), v.Finish().ValueOrDie(),
                           s.Finish().ValueOrDie()}))});
    if (rng() % 3 == 0) out.push_back({0, Message::Watermark(clock - bound)});
  }
  out.push_back({0, Message::EndOfStream()});
  return out;
}

//! Two random streams, one per input, interleaved message by message.
std::vector<PortMessage> TwoInputStream(uint64_t seed, int keys, int rows) {
  auto left = RandomStream(seed, keys, rows);
  auto right = RandomStream(seed + 100, keys, rows);
  std::vector<PortMessage> out;
  for (size_t i = 0; i < std::max(left.size(), right.size()); ++i) {
    if (i < left.size()) out.push_back(left[i]);
    if (i < right.size()) out.push_back({1, right[i].message});
  }
  return out;
}

//! The rows of one instance fed all of `stream`'s rows as one batch per input, then
//! EndOfStream on each input.
std::vector<std::string> BatchAnswer(const std::function<std::unique_ptr<Operator>()>& make,
                                     const std::vector<PortMessage>& stream) {
  auto instance = testing::Start(make);
  for (int port = 0; port < instance.op->num_inputs(); ++port) {
    std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
    for (const auto& m : stream) {
      if (m.port == port && m.message.is_batch()) batches.push_back(m.message.batch());
    }
    auto all = arrow::ConcatenateRecordBatches(batches).ValueOrDie();
    EXPECT_TRUE(instance.op->Push(port, Message::Batch(all)).ok());
  }
  for (int port = 0; port < instance.op->num_inputs(); ++port) {
    EXPECT_TRUE(instance.op->Push(port, Message::EndOfStream()).ok());
  }
  return testing::SortedRows({instance.out.get()});
}

//! Runs RunRescaled at several split points of several random streams (one per input).
//! `exact_state`: the new instances hold exactly the state of the old one; else they may
//! hold less (as-of joins: each new instance prunes by its own waiting rows).
void ExpectRescaleInvisible(const std::function<std::unique_ptr<Operator>()>& make, bool compare_batch = true,
                            bool exact_state = true) {
  const int inputs = make()->num_inputs();
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    const int keys = 20 + static_cast<int>(seed) * 7;
    const auto stream = inputs == 1 ? RandomStream(seed, keys, 1500) : TwoInputStream(seed, keys, 1500);
    const auto batch = compare_batch ? BatchAnswer(make, stream) : std::vector<std::string>{};
    for (size_t split : {stream.size() / 5, stream.size() / 2, stream.size() - 3}) {
      SCOPED_TRACE("seed " + std::to_string(seed) + ", snapshot after message " + std::to_string(split));
      auto outcome = RunRescaled(make, stream, split, std::vector<std::vector<int>>(inputs, kKey),
                                 /*mid=*/static_cast<int>(seed) * 25);
      EXPECT_GT(outcome.state_rows_before, 0);
      if (exact_state) {
        EXPECT_EQ(outcome.restored_state_rows, outcome.state_rows_before);
      } else {
        EXPECT_GT(outcome.restored_state_rows, 0);
        EXPECT_LE(outcome.restored_state_rows, outcome.state_rows_before);
      }
      EXPECT_EQ(outcome.rescaled, outcome.uninterrupted);
      if (compare_batch) {
        EXPECT_EQ(outcome.uninterrupted, batch);
      }
    }
  }
}

WindowSpec Tumbling(int64_t size, int64_t lateness = 0) {
  return WindowSpec{WindowSpec::Kind::kTumbling, "ts", size, size, lateness};
}

TEST(KeyGroupRescale, TumblingWindowAggregate) {
  ExpectRescaleInvisible([] { return MakeWindowAggregate(Input(), Tumbling(1000), {"k"}, kAggregates).ValueOrDie(); });
}

TEST(KeyGroupRescale, SlidingWindowAggregate) {
  ExpectRescaleInvisible([] {
    return MakeWindowAggregate(Input(), WindowSpec{WindowSpec::Kind::kSliding, "ts", 1000, 250}, {"k"}, kAggregates)
        .ValueOrDie();
  });
}

TEST(KeyGroupRescale, WindowAggregateWithAllowedLatenessHoldsRows) {
  // With lateness the windows hold rows; the stream has no late rows, so output = batch.
  ExpectRescaleInvisible(
      [] { return MakeWindowAggregate(Input(), Tumbling(1000, /*lateness=*/500), {"k"}, kAggregates).ValueOrDie(); });
}

TEST(KeyGroupRescale, SessionWindowAggregate) {
  WindowSpec session{WindowSpec::Kind::kSession, "ts"};
  session.gap_us = 150;
  ExpectRescaleInvisible([&] { return MakeWindowAggregate(Input(), session, {"k"}, kAggregates).ValueOrDie(); });
  session.allowed_lateness_us = 400;
  ExpectRescaleInvisible([&] { return MakeWindowAggregate(Input(), session, {"k"}, kAggregates).ValueOrDie(); });
}

TEST(KeyGroupRescale, GlobalWindowAggregate) {
  WindowSpec global;
  global.kind = WindowSpec::Kind::kGlobal;
  ExpectRescaleInvisible([&] { return MakeWindowAggregate(Input(), global, {"k"}, kAggregates).ValueOrDie(); });
  // A count trigger fires by batch boundaries, so only the rescaled run is compared.
  global.trigger_count = 5;
  ExpectRescaleInvisible([&] { return MakeWindowAggregate(Input(), global, {"k"}, kAggregates).ValueOrDie(); },
                         /*compare_batch=*/false);
}

TEST(KeyGroupRescale, IntervalJoin) {
  IntervalJoinSpec spec;
  spec.left_keys = spec.right_keys = {"k"};
  spec.left_time = spec.right_time = "ts";
  spec.lower_us = -100;
  spec.upper_us = 200;
  ExpectRescaleInvisible([&] { return MakeIntervalJoin(Input(), Input(), spec).ValueOrDie(); });
}

TEST(KeyGroupRescale, ChangelogJoin) {
  JoinSpec spec;
  spec.left_keys = spec.right_keys = {"k"};
  ExpectRescaleInvisible([&] { return MakeChangelogJoin(Input(), Input(), spec).ValueOrDie(); });
  // Outer rows keep whether their padded row is out; the TTL keeps the watermarks.
  spec.type = JoinType::kFull;
  spec.state_ttl_us = 300;
  spec.time_column = "ts";
  ExpectRescaleInvisible([&] { return MakeChangelogJoin(Input(), Input(), spec).ValueOrDie(); },
                         /*compare_batch=*/false);
}

TEST(KeyGroupRescale, WindowJoin) {
  WindowJoinSpec spec;
  spec.left_keys = spec.right_keys = {"k"};
  spec.left_time = spec.right_time = "ts";
  spec.size_us = 500;
  spec.slide_us = 250;
  ExpectRescaleInvisible([&] { return MakeWindowJoin(Input(), Input(), spec).ValueOrDie(); });
}

TEST(KeyGroupRescale, AsofJoin) {
  AsofJoinSpec spec;
  spec.type = JoinType::kLeft;
  spec.left_keys = spec.right_keys = {"k"};
  spec.left_time = spec.right_time = "ts";
  auto make = [&] { return MakeAsofJoin(Input(), Input(), spec).ValueOrDie(); };
  ExpectRescaleInvisible(make, /*compare_batch=*/true, /*exact_state=*/false);
  spec.type = JoinType::kInner;
  spec.tolerance_us = 200;
  ExpectRescaleInvisible(make, /*compare_batch=*/true, /*exact_state=*/false);
}

TEST(KeyGroupRescale, TemporalJoin) {
  TemporalJoinSpec spec;
  spec.left_keys = spec.right_keys = {"k"};
  spec.left_time = spec.version_time = "ts";
  ExpectRescaleInvisible([&] { return MakeTemporalJoin(Input(), Input(), spec).ValueOrDie(); },
                         /*compare_batch=*/true, /*exact_state=*/false);
}

//! The table a changelog ends at: each key's last insert/update_after, deletes applied,
//! as rows with op "insert" (what batch mode emits).
std::vector<std::string> ApplyChangelog(const testing::RecordingOperator& out) {
  std::map<std::string, std::string> table;
  for (const auto& m : out.messages) {
    if (!m.is_batch()) continue;
    const auto& batch = *m.batch();
    for (int64_t i = 0; i < batch.num_rows(); ++i) {
      const std::string op = batch.column(0)->GetScalar(i).ValueOrDie()->ToString();
      const std::string key = batch.column(1)->GetScalar(i).ValueOrDie()->ToString();
      std::string row = "insert|";
      for (int c = 1; c < batch.num_columns(); ++c) row += batch.column(c)->GetScalar(i).ValueOrDie()->ToString() + "|";
      if (op == kChangelogInsert || op == kChangelogUpdateAfter) table[key] = row;
      if (op == kChangelogDelete) table.erase(key);
    }
  }
  std::vector<std::string> rows;
  for (auto& [key, row] : table) rows.push_back(row);
  std::sort(rows.begin(), rows.end());
  return rows;
}

TEST(KeyGroupRescale, ChangelogAggregate) {
  // A changelog's rows depend on batch boundaries, so the rescaled run is compared with
  // the uninterrupted one, and the table the changelog builds with the batch answer.
  auto make = [] { return MakeChangelogAggregate(Input(), {"k"}, kAggregates).ValueOrDie(); };
  ExpectRescaleInvisible(make, /*compare_batch=*/false);
  const auto stream = RandomStream(7, 30, 1500);
  auto streamed = testing::Start(make);
  for (const auto& m : stream) ASSERT_TRUE(streamed.op->Push(m.port, m.message).ok());
  EXPECT_EQ(ApplyChangelog(*streamed.out), BatchAnswer(make, stream));
  ChangelogAggregateOptions ttl;
  ttl.state_ttl_us = 2000;
  ttl.time_column = "ts";
  ExpectRescaleInvisible([&] { return MakeChangelogAggregate(Input(), {"k"}, kAggregates, ttl).ValueOrDie(); },
                         /*compare_batch=*/false);
}

TEST(KeyGroupRescale, StateRowsByKeyGroupFollowTheKeysAndReturnToZero) {
  auto op = MakeWindowAggregate(Input(), Tumbling(1000), {"k"}, {{AF::kCountAll, "", "n"}}).ValueOrDie();
  auto* state = dynamic_cast<KeyGroupSnapshots*>(op.get());
  ASSERT_NE(state, nullptr);
  testing::RecordingOperator out(op->output_schema());
  op->ConnectTo(&out, 0);
  auto batch = testing::BatchFromJson(Input(), R"([{"ts": 1, "k": "x", "v": 1, "s": "a"},
      {"ts": 2, "k": "x", "v": 1, "s": "a"}, {"ts": 1500, "k": "x", "v": 1, "s": "a"},
      {"ts": 3, "k": "y", "v": 1, "s": "a"}])");
  ASSERT_TRUE(op->Push(0, Message::Batch(batch)).ok());
  const auto groups = RowKeyGroups(*batch, kKey, kDefaultKeyGroups).ValueOrDie();
  auto sizes = state->StateRowsByKeyGroup().ValueOrDie();
  ASSERT_EQ(sizes.size(), static_cast<size_t>(kDefaultKeyGroups));
  std::vector<int64_t> want(kDefaultKeyGroups, 0);
  want[groups[0]] += 2;  // x in two windows
  want[groups[3]] += 1;  // y in one
  EXPECT_EQ(sizes, want);
  ASSERT_TRUE(op->Push(0, Message::Watermark(2000)).ok());
  EXPECT_EQ(op->state_rows(), 0);
  sizes = state->StateRowsByKeyGroup().ValueOrDie();
  EXPECT_EQ(sizes, std::vector<int64_t>(kDefaultKeyGroups, 0));
}

TEST(KeyGroupRescale, BadSnapshotsAreClearErrors) {
  auto make = [] { return MakeWindowAggregate(Input(), Tumbling(1000), {"k"}, kAggregates).ValueOrDie(); };
  auto source = make();
  auto batch = testing::BatchFromJson(Input(), R"([{"ts": 1, "k": "x", "v": 1, "s": "a"}])");
  testing::RecordingOperator out(source->output_schema());
  source->ConnectTo(&out, 0);
  ASSERT_TRUE(source->Push(0, Message::Batch(batch)).ok());
  auto* state = dynamic_cast<KeyGroupSnapshots*>(source.get());
  auto all = state->SnapshotKeyGroups({0, kDefaultKeyGroups}).ValueOrDie();

  // Key groups the instance does not own.
  auto half = make();
  auto* half_state = dynamic_cast<KeyGroupSnapshots*>(half.get());
  ASSERT_TRUE(half_state->OwnKeyGroups({0, 64}).ok());
  auto status = half_state->RestoreKeyGroups(*all);
  ASSERT_TRUE(status.IsInvalid()) << status;
  EXPECT_NE(status.message().find("owns only [0, 64)"), std::string::npos) << status;

  // Another key group count.
  auto other_count = make();
  ASSERT_TRUE(dynamic_cast<KeyGroupSnapshots*>(other_count.get())->OwnKeyGroups({0, 256}, 256).ok());
  status = dynamic_cast<KeyGroupSnapshots*>(other_count.get())->RestoreKeyGroups(*all);
  EXPECT_NE(status.message().find("128 key groups"), std::string::npos) << status;

  // Another input schema: v is a double.
  auto doubles = arrow::schema({Input()->field(0), Input()->field(1), arrow::field("v", arrow::float64()),
                                Input()->field(3)});
  auto other_schema = MakeWindowAggregate(doubles, Tumbling(1000), {"k"}, kAggregates).ValueOrDie();
  status = dynamic_cast<KeyGroupSnapshots*>(other_schema.get())->RestoreKeyGroups(*all);
  ASSERT_TRUE(status.IsTypeError()) << status;
  EXPECT_NE(status.message().find("expects"), std::string::npos) << status;

  // Another operator, and bytes that are no snapshot.
  auto changelog = MakeChangelogAggregate(Input(), {"k"}, kAggregates).ValueOrDie();
  status = dynamic_cast<KeyGroupSnapshots*>(changelog.get())->RestoreKeyGroups(*all);
  EXPECT_NE(status.message().find("cannot restore a snapshot of WindowAggregate"), std::string::npos) << status;
  status = state->RestoreKeyGroups(*arrow::Buffer::FromString("not a snapshot at all"));
  EXPECT_FALSE(status.ok());
  status = state->RestoreKeyGroups(*arrow::SliceBuffer(all, 0, all->size() / 2));
  EXPECT_FALSE(status.ok());

  // Joins share the snapshot checks: another join, another input schema.
  IntervalJoinSpec interval;
  interval.left_keys = interval.right_keys = {"k"};
  interval.left_time = interval.right_time = "ts";
  auto join = MakeIntervalJoin(Input(), Input(), interval).ValueOrDie();
  auto join_snapshot = dynamic_cast<KeyGroupSnapshots*>(join.get())->SnapshotKeyGroups({0, 128}).ValueOrDie();
  WindowJoinSpec windowed;
  windowed.left_keys = windowed.right_keys = {"k"};
  windowed.left_time = windowed.right_time = "ts";
  windowed.size_us = windowed.slide_us = 100;
  auto window_join = MakeWindowJoin(Input(), Input(), windowed).ValueOrDie();
  status = dynamic_cast<KeyGroupSnapshots*>(window_join.get())->RestoreKeyGroups(*join_snapshot);
  EXPECT_NE(status.message().find("cannot restore a snapshot of IntervalJoin"), std::string::npos) << status;
  auto other_join = MakeIntervalJoin(Input(), doubles, interval).ValueOrDie();
  status = dynamic_cast<KeyGroupSnapshots*>(other_join.get())->RestoreKeyGroups(*join_snapshot);
  EXPECT_TRUE(status.IsTypeError()) << status;

  // An instance owning a range that does not fit the key group count.
  EXPECT_TRUE(half_state->OwnKeyGroups({10, 200}).IsInvalid());
}

}  // namespace
}  // namespace sabot
