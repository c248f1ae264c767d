// Sort and TopK: DuckDB's ordering (per-key null placement, NaN greatest, byte-order
// strings), stability, batching, and TopK == Sort + Limit on random data.
#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <tuple>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/sort.h"
#include "sabot/ops/tests/test_util.h"
#include "sabot/ops/top_k.h"

namespace sabot {
namespace {

using testing::BatchFromJson;
using testing::RecordingOperator;
using testing::TableFromJson;

// Pushes `batches` then EndOfStream through `op`; returns what came out.
std::unique_ptr<RecordingOperator> RunAll(Operator& op, const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches) {
  auto out = std::make_unique<RecordingOperator>(op.output_schema());
  op.ConnectTo(out.get(), 0);
  for (const auto& batch : batches) {
    auto flow = op.Push(0, Message::Batch(batch));
    EXPECT_TRUE(flow.ok()) << flow.status().ToString();
  }
  auto flow = op.Push(0, Message::EndOfStream());
  EXPECT_TRUE(flow.ok()) << flow.status().ToString();
  return out;
}

std::unique_ptr<Operator> Sort(const std::shared_ptr<arrow::Schema>& schema, const std::vector<SortKey>& keys) {
  auto op = MakeSort(schema, keys);
  EXPECT_TRUE(op.ok()) << op.status().ToString();
  return std::move(op).ValueOrDie();
}

std::unique_ptr<Operator> TopK(const std::shared_ptr<arrow::Schema>& schema, const std::vector<SortKey>& keys,
                               int64_t k) {
  auto op = MakeTopK(schema, keys, k);
  EXPECT_TRUE(op.ok()) << op.status().ToString();
  return std::move(op).ValueOrDie();
}

// The "id" column of the output, in order.
std::vector<int64_t> Ids(const RecordingOperator& out) {
  auto table = out.Table()->CombineChunks().ValueOrDie();
  if (table->num_rows() == 0) return {};
  auto ids = std::static_pointer_cast<arrow::Int64Array>(table->GetColumnByName("id")->chunk(0));
  return std::vector<int64_t>(ids->raw_values(), ids->raw_values() + ids->length());
}

std::vector<int64_t> SortedIds(const std::shared_ptr<arrow::Schema>& schema, const std::string& json,
                               const std::vector<SortKey>& keys) {
  auto op = Sort(schema, keys);
  return Ids(*RunAll(*op, {BatchFromJson(schema, json)}));
}

TEST(Sort, MultiKeyWithPerKeyNullPlacement) {
  auto schema = arrow::schema({arrow::field("a", arrow::int64()), arrow::field("b", arrow::utf8()),
                               arrow::field("id", arrow::int64())});
  const char* rows = R"([{"a": 2, "b": "x", "id": 0}, {"a": null, "b": "y", "id": 1}, {"a": 1, "b": null, "id": 2},
                         {"a": 2, "b": null, "id": 3}, {"a": 1, "b": "z", "id": 4}, {"a": null, "b": null, "id": 5},
                         {"a": 2, "b": "y", "id": 6}])";
  // a ASC NULLS FIRST, b DESC NULLS LAST
  EXPECT_EQ(SortedIds(schema, rows, {{"a", true, true}, {"b", false, false}}),
            (std::vector<int64_t>{1, 5, 4, 2, 6, 0, 3}));
  // a DESC NULLS LAST, b ASC NULLS FIRST
  EXPECT_EQ(SortedIds(schema, rows, {{"a", false, false}, {"b", true, true}}),
            (std::vector<int64_t>{3, 0, 6, 2, 4, 5, 1}));
  // The default is ASC NULLS LAST.
  EXPECT_EQ(SortedIds(schema, rows, {{"a"}, {"b"}}), (std::vector<int64_t>{4, 2, 0, 6, 3, 1, 5}));
  auto op = Sort(schema, {{"a"}});
  auto out = RunAll(*op, {BatchFromJson(schema, rows)});
  EXPECT_TABLE_EQ(out->Table(), TableFromJson(schema, R"([
      {"a": 1, "b": null, "id": 2}, {"a": 1, "b": "z", "id": 4}, {"a": 2, "b": "x", "id": 0},
      {"a": 2, "b": null, "id": 3}, {"a": 2, "b": "y", "id": 6}, {"a": null, "b": "y", "id": 1},
      {"a": null, "b": null, "id": 5}])"));
}

TEST(Sort, IsStableAcrossBatches) {
  auto schema = arrow::schema({arrow::field("k", arrow::int32()), arrow::field("id", arrow::int64())});
  auto op = Sort(schema, {{"k", false}});
  auto out = RunAll(*op, {BatchFromJson(schema, R"([{"k": 1, "id": 0}, {"k": 2, "id": 1}, {"k": 1, "id": 2}])"),
                       BatchFromJson(schema, R"([{"k": 2, "id": 3}, {"k": 1, "id": 4}])"),
                       BatchFromJson(schema, R"([{"k": 2, "id": 5}])")});
  EXPECT_EQ(Ids(*out), (std::vector<int64_t>{1, 3, 5, 0, 2, 4}));
}

TEST(Sort, NaNIsGreatestAndNullsFollowTheirPlacement) {
  auto schema = arrow::schema({arrow::field("x", arrow::float64()), arrow::field("id", arrow::int64())});
  const char* rows = R"([{"x": 1, "id": 0}, {"x": NaN, "id": 1}, {"x": null, "id": 2}, {"x": -1, "id": 3},
                         {"x": NaN, "id": 4}, {"x": 2, "id": 5}, {"x": null, "id": 6}])";
  EXPECT_EQ(SortedIds(schema, rows, {{"x", true, false}}), (std::vector<int64_t>{3, 0, 5, 1, 4, 2, 6}));
  EXPECT_EQ(SortedIds(schema, rows, {{"x", true, true}}), (std::vector<int64_t>{2, 6, 3, 0, 5, 1, 4}));
  EXPECT_EQ(SortedIds(schema, rows, {{"x", false, false}}), (std::vector<int64_t>{1, 4, 5, 0, 3, 2, 6}));
  EXPECT_EQ(SortedIds(schema, rows, {{"x", false, true}}), (std::vector<int64_t>{2, 6, 1, 4, 5, 0, 3}));
  // float32 too, and NaN as a second key after ties on the first.
  auto schema32 = arrow::schema({arrow::field("g", arrow::int8()), arrow::field("x", arrow::float32()),
                                 arrow::field("id", arrow::int64())});
  const char* rows32 = R"([{"g": 1, "x": NaN, "id": 0}, {"g": 0, "x": 5, "id": 1}, {"g": 1, "x": null, "id": 2},
                           {"g": 1, "x": 3, "id": 3}, {"g": 0, "x": NaN, "id": 4}])";
  EXPECT_EQ(SortedIds(schema32, rows32, {{"g"}, {"x", true, true}}), (std::vector<int64_t>{1, 4, 2, 3, 0}));
  EXPECT_EQ(SortedIds(schema32, rows32, {{"g"}, {"x", false, false}}), (std::vector<int64_t>{4, 1, 0, 3, 2}));
}

TEST(Sort, StringsInByteOrder) {
  for (auto type : {arrow::utf8(), arrow::large_utf8()}) {
    auto schema = arrow::schema({arrow::field("s", type), arrow::field("id", arrow::int64())});
    const char* rows = R"([{"s": "b", "id": 0}, {"s": "B", "id": 1}, {"s": "a", "id": 2}, {"s": "é", "id": 3},
                           {"s": "", "id": 4}, {"s": null, "id": 5}, {"s": "ab", "id": 6}])";
    EXPECT_EQ(SortedIds(schema, rows, {{"s"}}), (std::vector<int64_t>{4, 1, 2, 6, 0, 3, 5})) << type->ToString();
    EXPECT_EQ(SortedIds(schema, rows, {{"s", false, true}}), (std::vector<int64_t>{5, 3, 0, 6, 2, 1, 4}));
  }
}

TEST(Sort, TemporalDecimalAndBoolKeys) {
  auto schema = arrow::schema({arrow::field("d", arrow::date32()),
                               arrow::field("t", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")),
                               arrow::field("m", arrow::decimal128(12, 2)), arrow::field("b", arrow::boolean()),
                               arrow::field("d64", arrow::date64()), arrow::field("id", arrow::int64())});
  const char* rows = R"([
      {"d": 19000, "t": 5000000, "m": "-1.50", "b": true, "d64": 86400000, "id": 0},
      {"d": 18000, "t": -1, "m": "10.00", "b": false, "d64": 0, "id": 1},
      {"d": null, "t": 7, "m": "2.25", "b": null, "d64": null, "id": 2},
      {"d": 18500, "t": null, "m": null, "b": true, "d64": 172800000, "id": 3}])";
  EXPECT_EQ(SortedIds(schema, rows, {{"d"}}), (std::vector<int64_t>{1, 3, 0, 2}));
  EXPECT_EQ(SortedIds(schema, rows, {{"t", false}}), (std::vector<int64_t>{0, 2, 1, 3}));
  EXPECT_EQ(SortedIds(schema, rows, {{"m", true, true}}), (std::vector<int64_t>{3, 0, 2, 1}));
  EXPECT_EQ(SortedIds(schema, rows, {{"b"}, {"id", false}}), (std::vector<int64_t>{1, 3, 0, 2}));
  EXPECT_EQ(SortedIds(schema, rows, {{"d64", false}}), (std::vector<int64_t>{3, 0, 1, 2}));
}

TEST(Sort, EmptyInputEmitsOnlyEndOfStream) {
  auto schema = arrow::schema({arrow::field("a", arrow::int64())});
  auto op = Sort(schema, {{"a"}});
  auto out = RunAll(*op, {BatchFromJson(schema, "[]")});
  EXPECT_EQ(out->messages.size(), 1u);
  EXPECT_EQ(out->Controls(), (std::vector<std::string>{"EndOfStream"}));
  auto top = TopK(schema, {{"a"}}, 5);
  auto top_out = RunAll(*top, {});
  EXPECT_EQ(top_out->Controls(), (std::vector<std::string>{"EndOfStream"}));
  EXPECT_EQ(top_out->messages.size(), 1u);
}

TEST(Sort, StopsEmittingWhenDownstreamSaysStop) {
  auto schema = arrow::schema({arrow::field("a", arrow::int64())});
  arrow::Int64Builder values;
  for (int64_t i = 0; i < 150000; ++i) ASSERT_TRUE(values.Append(150000 - i).ok());
  auto batch = arrow::RecordBatch::Make(schema, 150000, {values.Finish().ValueOrDie()});
  auto op = Sort(schema, {{"a"}});
  RecordingOperator out(schema, /*stop_after_batches=*/1);
  op->ConnectTo(&out, 0);
  ASSERT_TRUE(op->Push(0, Message::Batch(batch)).ok());
  auto flow = op->Push(0, Message::EndOfStream());
  ASSERT_TRUE(flow.ok());
  EXPECT_EQ(*flow, Flow::kStop);
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_EQ(out.messages[0].batch()->num_rows(), kSortOutputBatchRows);
  EXPECT_EQ(std::static_pointer_cast<arrow::Int64Array>(out.messages[0].batch()->column(0))->Value(0), 1);
}

TEST(Sort, HoldsWatermarksAndForwardsBarriers) {
  auto schema = arrow::schema({arrow::field("a", arrow::int64())});
  auto op = Sort(schema, {{"a"}});
  RecordingOperator out(schema);
  op->ConnectTo(&out, 0);
  ASSERT_TRUE(op->Push(0, Message::Batch(BatchFromJson(schema, R"([{"a": 3}, {"a": 1}])"))).ok());
  ASSERT_TRUE(op->Push(0, Message::Watermark(10)).ok());
  ASSERT_TRUE(op->Push(0, Message::CheckpointBarrier(1)).ok());
  ASSERT_TRUE(op->Push(0, Message::EndOfStream()).ok());
  EXPECT_EQ(out.Controls(), (std::vector<std::string>{"CheckpointBarrier(1)", "EndOfStream"}));
  EXPECT_TABLE_EQ(out.Table(), TableFromJson(schema, R"([{"a": 1}, {"a": 3}])"));
}

TEST(Sort, Errors) {
  auto schema = arrow::schema({arrow::field("a", arrow::int64()), arrow::field("tags", arrow::list(arrow::int64()))});
  auto unknown = MakeSort(schema, {{"b"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "cannot sort by column 'b': it does not exist; the columns are: a, tags");
  auto list = MakeSort(schema, {{"a"}, {"tags"}});
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().message(), "cannot sort by column 'tags' of type list<int64>");
  EXPECT_FALSE(MakeSort(schema, {}).ok());
  auto negative = MakeTopK(schema, {{"a"}}, -1);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().message(), "top-k needs k >= 0, got -1");
  EXPECT_EQ(MakeTopK(schema, {{"tags"}}, 3).status().message(), "cannot sort by column 'tags' of type list<int64>");
}

// Random rows with many ties, nulls and NaNs, and a reference order by std::stable_sort.
struct Row {
  std::optional<int32_t> k;
  std::optional<double> x;
  std::optional<std::string> s;
  int64_t id;
};

struct RandomInput {
  std::shared_ptr<arrow::Schema> schema = arrow::schema({arrow::field("k", arrow::int32()),
                                                         arrow::field("x", arrow::float64()),
                                                         arrow::field("s", arrow::utf8()),
                                                         arrow::field("id", arrow::int64())});
  std::vector<Row> rows;
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
};

RandomInput MakeRandomInput(int64_t num_rows, uint32_t seed, int max_batch) {
  RandomInput input;
  std::mt19937 rng(seed);
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  const char* words[] = {"", "a", "ab", "b", "Z", "é", "abc"};
  for (int64_t i = 0; i < num_rows; ++i) {
    Row row{std::nullopt, std::nullopt, std::nullopt, i};
    if (!chance(5)) row.k = static_cast<int32_t>(rng() % 50) - 25;
    if (!chance(5)) row.x = chance(3) ? std::nan("") : static_cast<double>(rng() % 20) / 4 - 2;
    if (!chance(5)) row.s = words[rng() % 7];
    input.rows.push_back(row);
  }
  for (int64_t start = 0; start < num_rows;) {
    const int64_t length = std::min<int64_t>(1 + rng() % max_batch, num_rows - start);
    arrow::Int32Builder k;
    arrow::DoubleBuilder x;
    arrow::StringBuilder s;
    arrow::Int64Builder id;
    for (int64_t i = start; i < start + length; ++i) {
      const Row& row = input.rows[i];
      EXPECT_TRUE((row.k ? k.Append(*row.k) : k.AppendNull()).ok());
      EXPECT_TRUE((row.x ? x.Append(*row.x) : x.AppendNull()).ok());
      EXPECT_TRUE((row.s ? s.Append(*row.s) : s.AppendNull()).ok());
      EXPECT_TRUE(id.Append(row.id).ok());
    }
    input.batches.push_back(arrow::RecordBatch::Make(
        input.schema, length,
        {k.Finish().ValueOrDie(), x.Finish().ValueOrDie(), s.Finish().ValueOrDie(), id.Finish().ValueOrDie()}));
    start += length;
  }
  return input;
}

template <typename T>
int CompareValues(const T& a, const T& b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) - std::isnan(b);  // NaN greatest
  }
  return a < b ? -1 : (b < a ? 1 : 0);
}

template <typename T>
int CompareKey(const std::optional<T>& a, const std::optional<T>& b, const SortKey& key) {
  if (!a || !b) {
    if (!a && !b) return 0;
    return (!a) == key.nulls_first ? -1 : 1;
  }
  const int c = CompareValues(*a, *b);
  return key.ascending ? c : -c;
}

std::vector<int64_t> ReferenceOrder(std::vector<Row> rows, const std::vector<SortKey>& keys) {
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    for (const auto& key : keys) {
      int c = key.column == "k" ? CompareKey(a.k, b.k, key) : key.column == "x" ? CompareKey(a.x, b.x, key)
                                                                                  : CompareKey(a.s, b.s, key);
      if (c != 0) return c < 0;
    }
    return false;
  });
  std::vector<int64_t> ids;
  for (const auto& row : rows) ids.push_back(row.id);
  return ids;
}

const std::vector<std::vector<SortKey>> kRandomKeySets = {
    {{"k"}, {"x"}},
    {{"x", false, false}, {"k", true, true}},
    {{"s", false, true}, {"x", true, true}},
    {{"k", false, true}, {"s"}, {"x", false, true}},
    {{"x", true, true}},
};

TEST(Sort, MatchesStableSortOnManyRandomBatches) {
  auto input = MakeRandomInput(200000, 42, 5000);
  for (const auto& keys : kRandomKeySets) {
    auto op = Sort(input.schema, keys);
    auto out = RunAll(*op, input.batches);
    EXPECT_EQ(Ids(*out), ReferenceOrder(input.rows, keys));
    // 200000 rows leave in four batches of at most 64K.
    int batches = 0;
    for (const auto& m : out->messages) {
      if (!m.is_batch()) continue;
      ++batches;
      EXPECT_LE(m.batch()->num_rows(), kSortOutputBatchRows);
    }
    EXPECT_EQ(batches, 4);
    EXPECT_EQ(out->Controls(), (std::vector<std::string>{"EndOfStream"}));
  }
}

// The radix path (fixed-width keys) and Arrow's sort_indices must give the same order.
TEST(Sort, RadixSortAgreesWithArrowSort) {
  std::mt19937_64 rng(5);
  const int64_t n = 20000;
  arrow::Int8Builder i8;
  arrow::UInt64Builder u64;
  arrow::FloatBuilder f32;
  arrow::Int64Builder i64;
  arrow::BooleanBuilder flag;
  const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 1e-30f, -3.5f};
  const int64_t extremes[] = {INT64_MIN, INT64_MAX, -1, 0, 1};
  for (int64_t i = 0; i < n; ++i) {
    const bool null = rng() % 16 == 0;
    ASSERT_TRUE((null ? i8.AppendNull() : i8.Append(static_cast<int8_t>(rng() % 7) - 3)).ok());
    ASSERT_TRUE((rng() % 16 == 0 ? u64.AppendNull() : u64.Append(rng() % 3 == 0 ? ~uint64_t{0} - rng() % 3 : rng() % 5)).ok());
    ASSERT_TRUE((rng() % 16 == 0 ? f32.AppendNull() : f32.Append(specials[rng() % 8])).ok());
    ASSERT_TRUE((rng() % 16 == 0 ? i64.AppendNull() : i64.Append(extremes[rng() % 5])).ok());
    ASSERT_TRUE((rng() % 16 == 0 ? flag.AppendNull() : flag.Append(rng() % 2 == 0)).ok());
  }
  auto schema = arrow::schema({arrow::field("i8", arrow::int8()), arrow::field("u64", arrow::uint64()),
                               arrow::field("f32", arrow::float32()), arrow::field("i64", arrow::int64()),
                               arrow::field("flag", arrow::boolean())});
  auto batch = arrow::RecordBatch::Make(schema, n, {i8.Finish().ValueOrDie(), u64.Finish().ValueOrDie(),
                                                    f32.Finish().ValueOrDie(), i64.Finish().ValueOrDie(),
                                                    flag.Finish().ValueOrDie()});
  const std::vector<std::vector<SortKey>> key_sets = {
      {{"f32"}}, {{"f32", true, true}}, {{"f32", false, false}}, {{"f32", false, true}},
      {{"i8", false, true}, {"f32", true, true}, {"u64"}},
      {{"flag"}, {"i64", false}, {"f32", false, false}},
      {{"u64", false, true}, {"flag", false, false}, {"i8"}},
  };
  for (const auto& keys : key_sets) {
    auto spec = SortSpec::Make(schema, keys).ValueOrDie();
    auto radix = spec.SortIndices(*batch).ValueOrDie();
    auto arrow_order = spec.SortIndices(*batch, /*allow_radix=*/false).ValueOrDie();
    auto as_u64 = [](const std::shared_ptr<arrow::Array>& a) {
      return arrow::compute::Cast(*a, arrow::uint64()).ValueOrDie();
    };
    EXPECT_TRUE(as_u64(radix)->Equals(*as_u64(arrow_order))) << "first key " << keys[0].column;
  }
}

TEST(TopK, EqualsSortThenLimitOnRandomData) {
  auto input = MakeRandomInput(30000, 7, 3000);
  for (const auto& keys : kRandomKeySets) {
    auto order = ReferenceOrder(input.rows, keys);
    for (int64_t k : {0, 1, 7, 100, 5000, 29999, 40000}) {
      auto op = TopK(input.schema, keys, k);
      auto out = RunAll(*op, input.batches);
      std::vector<int64_t> want(order.begin(), order.begin() + std::min<int64_t>(k, order.size()));
      EXPECT_EQ(Ids(*out), want) << "k=" << k << " first key " << keys[0].column;
      EXPECT_EQ(out->Controls(), (std::vector<std::string>{"EndOfStream"}));
    }
  }
}

TEST(TopK, SmallExampleWithTiesAndNulls) {
  auto schema = arrow::schema({arrow::field("a", arrow::int64()), arrow::field("id", arrow::int64())});
  auto op = TopK(schema, {{"a", false, true}}, 3);
  auto out = RunAll(*op, {BatchFromJson(schema, R"([{"a": 5, "id": 0}, {"a": 9, "id": 1}, {"a": 9, "id": 2}])"),
                       BatchFromJson(schema, R"([{"a": null, "id": 3}, {"a": 9, "id": 4}, {"a": 1, "id": 5}])")});
  EXPECT_TABLE_EQ(out->Table(), TableFromJson(schema, R"([{"a": null, "id": 3}, {"a": 9, "id": 1},
                                                          {"a": 9, "id": 2}])"));
}

TEST(TopK, MergedPartialStatesEqualOneState) {
  auto input = MakeRandomInput(20000, 11, 2000);
  const std::vector<SortKey> keys = {{"x", false, false}, {"s"}};
  for (int64_t k : {1, 50, 9000}) {
    auto spec = SortSpec::Make(input.schema, keys).ValueOrDie();
    TopKState first(spec, k), second(spec, k);
    const size_t half = input.batches.size() / 2;
    for (size_t i = 0; i < input.batches.size(); ++i) {
      ASSERT_TRUE((i < half ? first : second).Add(input.batches[i]).ok());
    }
    ASSERT_TRUE(first.Merge(std::move(second)).ok());
    auto best = first.Finish().ValueOrDie();
    auto ids = std::static_pointer_cast<arrow::Int64Array>(best->GetColumnByName("id"));
    auto order = ReferenceOrder(input.rows, keys);
    EXPECT_EQ(std::vector<int64_t>(ids->raw_values(), ids->raw_values() + ids->length()),
              std::vector<int64_t>(order.begin(), order.begin() + k));
  }
}

}  // namespace
}  // namespace sabot
