// RowsWindow: per-key aggregates over the last N rows, checked on a small example and
// against a brute-force recomputation on random data split into random batches.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>

#include <arrow/api.h>

#include "sabot/ops/rows_window.h"
#include "sabot/ops/tests/test_util.h"
#include "sabot/plan/plan_json.h"
#include "sabot/plan/stream.h"

namespace sabot {
namespace {

using F = AggregateFunction;
using testing::BatchFromJson;
using testing::RecordingOperator;

std::shared_ptr<arrow::Schema> InputSchema() {
  return arrow::schema({arrow::field("k", arrow::utf8()), arrow::field("x", arrow::int32()),
                        arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO))});
}

TEST(RowsWindow, LastRowsOfEachKey) {
  auto op = MakeRowsWindow(InputSchema(), {"k"}, 2,
                           {{F::kMean, "x", "avg"}, {F::kSum, "x", ""}, {F::kMin, "x", "lo"}, {F::kMax, "ts", "hi"},
                            {F::kCount, "x", "n"}, {F::kCountAll, "", "rows"}})
                .ValueOrDie();
  RecordingOperator out(op->output_schema());
  op->ConnectTo(&out, 0);
  ASSERT_TRUE(op->Push(0, Message::Batch(BatchFromJson(InputSchema(), R"([
      {"k": "a", "x": 1, "ts": 10}, {"k": "b", "x": 5, "ts": 11}, {"k": "a", "x": null, "ts": 12}])")))
                  .ok());
  ASSERT_TRUE(op->Push(0, Message::Watermark(12)).ok());
  ASSERT_TRUE(op->Push(0, Message::Batch(BatchFromJson(InputSchema(), R"([
      {"k": "a", "x": 4, "ts": 13}, {"k": "a", "x": 6, "ts": 9}, {"k": "b", "x": null, "ts": 14}])")))
                  .ok());
  ASSERT_TRUE(op->Push(0, Message::EndOfStream()).ok());

  auto expected_schema = arrow::schema(
      {arrow::field("k", arrow::utf8()), arrow::field("x", arrow::int32()),
       arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO)), arrow::field("avg", arrow::float64()),
       arrow::field("sum(x)", arrow::int64()), arrow::field("lo", arrow::int32()),
       arrow::field("hi", arrow::timestamp(arrow::TimeUnit::MICRO)), arrow::field("n", arrow::int64()),
       arrow::field("rows", arrow::int64())});
  ASSERT_TRUE(op->output_schema()->Equals(*expected_schema)) << op->output_schema()->ToString();
  auto expected = testing::TableFromJson(expected_schema, R"json([
      {"k": "a", "x": 1, "ts": 10, "avg": 1.0, "sum(x)": 1, "lo": 1, "hi": 10, "n": 1, "rows": 1},
      {"k": "b", "x": 5, "ts": 11, "avg": 5.0, "sum(x)": 5, "lo": 5, "hi": 11, "n": 1, "rows": 1},
      {"k": "a", "x": null, "ts": 12, "avg": 1.0, "sum(x)": 1, "lo": 1, "hi": 12, "n": 1, "rows": 2},
      {"k": "a", "x": 4, "ts": 13, "avg": 4.0, "sum(x)": 4, "lo": 4, "hi": 13, "n": 1, "rows": 2},
      {"k": "a", "x": 6, "ts": 9, "avg": 5.0, "sum(x)": 10, "lo": 4, "hi": 13, "n": 2, "rows": 2},
      {"k": "b", "x": null, "ts": 14, "avg": 5.0, "sum(x)": 5, "lo": 5, "hi": 14, "n": 1, "rows": 2}])json");
  EXPECT_TABLE_EQ(out.Table(), expected);
  EXPECT_EQ(out.Controls(), (std::vector<std::string>{"Watermark(12)", "EndOfStream"}));
  const auto& window = static_cast<const RowsWindowOperator&>(*op);
  EXPECT_EQ(window.num_keys(), 2);
  EXPECT_EQ(window.state_rows(), 4);
  int keys = 0;
  for (int g = 0; g < kDefaultKeyGroups; ++g) keys += static_cast<int>(window.KeysOf(g).size());
  EXPECT_EQ(keys, 2);
}

TEST(RowsWindow, NullFrameGivesNullExceptCounts) {
  auto op = MakeRowsWindow(InputSchema(), {"k"}, 1, {{F::kMax, "x", "m"}, {F::kCount, "x", "n"}}).ValueOrDie();
  RecordingOperator out(op->output_schema());
  op->ConnectTo(&out, 0);
  ASSERT_TRUE(op->Push(0, Message::Batch(BatchFromJson(InputSchema(), R"([
      {"k": "a", "x": 3, "ts": 1}, {"k": "a", "x": null, "ts": 2}])")))
                  .ok());
  auto table = out.Table()->CombineChunks().ValueOrDie();
  EXPECT_EQ(table->GetColumnByName("m")->chunk(0)->ToString(), arrow::json::ArrayFromJSONString(arrow::int32(), "[3, null]").ValueOrDie()->ToString());
  EXPECT_EQ(table->GetColumnByName("n")->chunk(0)->ToString(), arrow::json::ArrayFromJSONString(arrow::int64(), "[1, 0]").ValueOrDie()->ToString());
}

TEST(RowsWindow, ErrorsNameWhatIsWrong) {
  auto missing = MakeRowsWindow(InputSchema(), {"nope"}, 3, {{F::kCountAll, "", "n"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("'nope'"), std::string::npos) << missing.status().ToString();
  auto rows = MakeRowsWindow(InputSchema(), {"k"}, 0, {{F::kCountAll, "", "n"}});
  EXPECT_NE(rows.status().message().find("at least 1 row"), std::string::npos) << rows.status().ToString();
  auto sum = MakeRowsWindow(InputSchema(), {"k"}, 3, {{F::kSum, "k", "s"}});
  EXPECT_NE(sum.status().message().find("expected a number"), std::string::npos) << sum.status().ToString();
  auto taken = MakeRowsWindow(InputSchema(), {"k"}, 3, {{F::kSum, "x", "ts"}});
  EXPECT_NE(taken.status().message().find("taken"), std::string::npos) << taken.status().ToString();
  auto var = MakeRowsWindow(InputSchema(), {"k"}, 3, {{F::kVariance, "x", "v"}});
  EXPECT_NE(var.status().message().find("computes count"), std::string::npos) << var.status().ToString();
}

TEST(RowsWindow, IntegerSumOverflowIsAnError) {
  auto schema = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("x", arrow::int64())});
  auto op = MakeRowsWindow(schema, {"k"}, 2, {{F::kSum, "x", "s"}}).ValueOrDie();
  RecordingOperator out(op->output_schema());
  op->ConnectTo(&out, 0);
  auto st = op->Push(0, Message::Batch(BatchFromJson(schema, R"([{"k": 1, "x": 9223372036854775807}, {"k": 1, "x": 1}])")));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("overflow"), std::string::npos) << st.status().ToString();
}

// The brute-force answer: per row, the aggregate over its key's last `rows` rows.
struct Reference {
  std::optional<double> mean, sum, min, max;
  int64_t count = 0, count_all = 0;
};

TEST(RowsWindow, MatchesBruteForceOnRandomBatches) {
  std::mt19937_64 rng(42);
  auto schema = arrow::schema({arrow::field("k1", arrow::int64()), arrow::field("k2", arrow::utf8()),
                               arrow::field("v", arrow::float64()), arrow::field("i", arrow::int16())});
  for (int64_t frame : {1, 3, 10}) {
    const int64_t n = 3000;
    arrow::Int64Builder k1;
    arrow::StringBuilder k2;
    arrow::DoubleBuilder v;
    arrow::Int16Builder iv;
    std::vector<std::tuple<int64_t, std::string, std::optional<double>, std::optional<int16_t>>> rows;
    for (int64_t r = 0; r < n; ++r) {
      const int64_t a = static_cast<int64_t>(rng() % 7);
      const std::string b = std::string(1, static_cast<char>('a' + rng() % 3));
      std::optional<double> x;
      if (rng() % 5 != 0) x = static_cast<double>(static_cast<int64_t>(rng() % 2001) - 1000) / 8.0;
      std::optional<int16_t> y;
      if (rng() % 4 != 0) y = static_cast<int16_t>(static_cast<int64_t>(rng() % 601) - 300);
      ASSERT_TRUE(k1.Append(a).ok());
      ASSERT_TRUE(k2.Append(b).ok());
      ASSERT_TRUE((x ? v.Append(*x) : v.AppendNull()).ok());
      ASSERT_TRUE((y ? iv.Append(*y) : iv.AppendNull()).ok());
      rows.emplace_back(a, b, x, y);
    }
    auto batch = arrow::RecordBatch::Make(schema, n,
                                          {k1.Finish().ValueOrDie(), k2.Finish().ValueOrDie(),
                                           v.Finish().ValueOrDie(), iv.Finish().ValueOrDie()});
    auto op = MakeRowsWindow(schema, {"k1", "k2"}, frame,
                             {{F::kMean, "v", "mean"}, {F::kSum, "v", "sum"}, {F::kMin, "v", "min"},
                              {F::kMax, "i", "max"}, {F::kCount, "i", "count"}, {F::kCountAll, "", "count_all"},
                              {F::kSum, "i", "isum"}, {F::kMin, "i", "imin"}})
                  .ValueOrDie();
    RecordingOperator out(op->output_schema());
    op->ConnectTo(&out, 0);
    for (int64_t at = 0; at < n;) {
      const int64_t len = std::min<int64_t>(n - at, static_cast<int64_t>(rng() % 300));
      ASSERT_TRUE(op->Push(0, Message::Batch(batch->Slice(at, len))).ok());
      at += len;
    }
    auto table = out.Table()->CombineChunks().ValueOrDie();
    ASSERT_EQ(table->num_rows(), n);
    auto column = [&](const char* name) { return table->GetColumnByName(name)->chunk(0); };
    auto mean = std::static_pointer_cast<arrow::DoubleArray>(column("mean"));
    auto sum = std::static_pointer_cast<arrow::DoubleArray>(column("sum"));
    auto min = std::static_pointer_cast<arrow::DoubleArray>(column("min"));
    auto max = std::static_pointer_cast<arrow::Int16Array>(column("max"));
    auto count = std::static_pointer_cast<arrow::Int64Array>(column("count"));
    auto count_all = std::static_pointer_cast<arrow::Int64Array>(column("count_all"));
    auto isum = std::static_pointer_cast<arrow::Int64Array>(column("isum"));
    auto imin = std::static_pointer_cast<arrow::Int16Array>(column("imin"));
    std::map<std::pair<int64_t, std::string>, std::vector<size_t>> seen;
    for (size_t r = 0; r < rows.size(); ++r) {
      auto& history = seen[{std::get<0>(rows[r]), std::get<1>(rows[r])}];
      history.push_back(r);
      const size_t first = history.size() > static_cast<size_t>(frame) ? history.size() - frame : 0;
      double s = 0;
      int64_t nv = 0, ni = 0, si = 0;
      std::optional<double> lo;
      std::optional<int16_t> hi, ilo;
      for (size_t h = first; h < history.size(); ++h) {
        const auto& [a, b, x, y] = rows[history[h]];
        if (x) {
          s += *x;
          ++nv;
          lo = lo ? std::min(*lo, *x) : *x;
        }
        if (y) {
          ++ni;
          si += *y;
          hi = hi ? std::max(*hi, *y) : *y;
          ilo = ilo ? std::min(*ilo, *y) : *y;
        }
      }
      const auto i = static_cast<int64_t>(r);
      SCOPED_TRACE("frame " + std::to_string(frame) + " row " + std::to_string(r));
      ASSERT_EQ(count_all->Value(i), static_cast<int64_t>(history.size() - first));
      ASSERT_EQ(count->Value(i), ni);
      ASSERT_EQ(mean->IsNull(i), nv == 0);
      ASSERT_EQ(max->IsNull(i), ni == 0);
      if (nv > 0) {
        ASSERT_NEAR(mean->Value(i), s / static_cast<double>(nv), 1e-9);
        ASSERT_NEAR(sum->Value(i), s, 1e-9);
        ASSERT_EQ(min->Value(i), *lo);
      }
      if (ni > 0) {
        ASSERT_EQ(max->Value(i), *hi);
        ASSERT_EQ(imin->Value(i), *ilo);
        ASSERT_EQ(isum->Value(i), si);
      }
    }
  }
}

TEST(RowsWindow, PlanRunsAndSerializes) {
  auto plan = Stream::ReadCsv("in.csv").RowsWindow({"k"}, 10, {{F::kMean, "x", "avg"}}).To(SinkSpec{});
  EXPECT_NE(Explain(*plan).find("RowsWindow by k rows 10"), std::string::npos) << Explain(*plan);
  auto json = SerializePlan(*plan);
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_NE(json->find("\"rows_window\""), std::string::npos);
}

}  // namespace
}  // namespace sabot
