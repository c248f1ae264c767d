// The keyed exchange: keyed windows on 2 and 8 threads give one thread's rows; per-key
// order, late rows, limits, cancellation, errors and backpressure.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <algorithm>
#include <thread>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include "sabot/expr/batch_function.h"
#include "sabot/ops/changelog_aggregate.h"
#include "sabot/ops/keyed_process.h"
#include "sabot/plan/stream.h"
#include "sabot/runtime/physical_planner.h"
#include "sabot/runtime/keyed_exchange.h"
#include "sabot/runtime/run.h"
#include "sabot/state/key_group.h"

namespace sabot {
namespace {

constexpr int64_t kSecond = 1'000'000;

// The rows of `table` sorted by every column, as one chunk: the order across keys is
// not defined on several threads.
std::shared_ptr<arrow::Table> Sorted(std::shared_ptr<arrow::Table> table) {
  // Arrow does not sort dictionaries: their values sort the same.
  for (int c = 0; c < table->num_columns(); ++c) {
    const auto& type = table->field(c)->type();
    if (type->id() != arrow::Type::DICTIONARY) continue;
    const auto& values = static_cast<const arrow::DictionaryType&>(*type).value_type();
    auto decoded = arrow::compute::Cast(table->column(c), values).ValueOrDie().chunked_array();
    table = table->SetColumn(c, arrow::field(table->field(c)->name(), values), decoded).ValueOrDie();
  }
  std::vector<arrow::compute::SortKey> keys;
  for (const auto& field : table->schema()->fields()) keys.emplace_back(field->name());
  auto indices = arrow::compute::SortIndices(arrow::Datum(table), arrow::compute::SortOptions(keys)).ValueOrDie();
  auto taken = arrow::compute::Take(arrow::Datum(table), arrow::Datum(indices)).ValueOrDie();
  return taken.table()->CombineChunks().ValueOrDie();
}

struct Outcome {
  std::shared_ptr<arrow::Table> rows;
  RunResult result;
};

Outcome RunWith(const PlanPtr& plan, int threads, bool ordered = true) {
  RunOptions options;
  options.threads = threads;
  options.ordered = ordered;
  auto result = RunPlan(*plan, options);
  EXPECT_TRUE(result.ok()) << threads << " threads: " << result.status().ToString();
  if (!result.ok()) return {};
  auto table = result->ToTable();
  EXPECT_TRUE(table.ok()) << table.status();
  return {Sorted(*table), std::move(result).ValueUnsafe()};
}

// Runs `plan` on 1, 2 and 8 threads: the same rows each time, and the threaded runs went
// through the exchange (one owner per thread). Returns the one-thread rows.
std::shared_ptr<arrow::Table> ExpectSameOnEveryThreadCount(const PlanPtr& plan, int64_t min_rows,
                                                          bool ordered = true) {
  SinkOutput output;
  auto lowered = LowerPlan(*plan, &output);
  EXPECT_TRUE(lowered.ok()) << lowered.status();
  if (!lowered.ok()) return nullptr;
  EXPECT_TRUE(FindKeyedExchange(*plan->input(), *lowered).has_value());
  Outcome one = RunWith(plan, 1);
  if (one.rows == nullptr) return nullptr;
  EXPECT_GE(one.rows->num_rows(), min_rows);
  for (int threads : {2, 8}) {
    Outcome got = RunWith(plan, threads, ordered);
    if (got.rows == nullptr) continue;
    EXPECT_EQ(got.result.stats.threads, threads);
    EXPECT_GT(got.result.stats.peak_queue_messages, 0) << "the exchange did not run";
    EXPECT_EQ(got.rows->num_rows(), one.rows->num_rows()) << threads << " threads";
    EXPECT_TRUE(got.rows->Equals(*one.rows)) << threads << " threads";
  }
  return one.rows;
}

GeneratorOptions Bounded(int64_t rows, int64_t batch_size, int64_t keys) {
  GeneratorOptions g;
  g.rows = rows;
  g.batch_size = batch_size;
  g.num_keys = keys;
  g.max_out_of_orderness_us = 3'000;  // rows come out of order, never late
  return g;
}

// Exact aggregates only: a float sum depends on the order rows of different producers
// meet in an owner.
std::vector<AggregateSpec> ExactAggregates() {
  return {{AggregateFunction::kCountAll, "", "n"},
          {AggregateFunction::kSum, "id", "id_sum"},
          {AggregateFunction::kMin, "value", "lo"},
          {AggregateFunction::kMax, "value", "hi"}};
}

WindowSpec Tumbling(int64_t size_us) {
  WindowSpec w;
  w.time_column = "ts";
  w.size_us = size_us;
  w.slide_us = size_us;
  return w;
}

TEST(KeyedExchange, TumblingWindowMatchesOneThread) {
  auto plan = Stream::Generate(Bounded(300'000, 2'000, 50))
                  .Filter(col("value") > lit(0.1))
                  .WindowAggregate(Tumbling(kSecond), {"key"}, ExactAggregates())
                  .Collect();
  auto rows = ExpectSameOnEveryThreadCount(plan, 50 * 290);
  ASSERT_NE(rows, nullptr);
  // Every row that passed the filter is in exactly one window.
  auto n = arrow::compute::Sum(rows->GetColumnByName("n")).ValueOrDie();
  EXPECT_GT(n.scalar_as<arrow::Int64Scalar>().value, 250'000);
}

TEST(KeyedExchange, SlidingWindowOverTwoKeysAndAProjectionAboveMatchesOneThread) {
  WindowSpec w = Tumbling(2 * kSecond);
  w.kind = WindowSpec::Kind::kSliding;
  w.slide_us = kSecond / 2;
  auto plan = Stream::Generate(Bounded(200'000, 1'500, 40))
                  .WindowAggregate(w, {"key", "category"}, ExactAggregates())
                  .WithColumn("spread", col("hi") - col("lo"))
                  .Collect();
  ExpectSameOnEveryThreadCount(plan, 40 * 8 * 300);
}

// Columns computed right under the window (count(where=) inputs) are computed by the
// owners: only what they and the window read crosses the exchange. A computed key stays
// with the producers, which route by it.
TEST(KeyedExchange, OwnersComputeTheColumnsRightUnderTheWindow) {
  std::vector<AggregateSpec> aggregates = ExactAggregates();
  aggregates.push_back({AggregateFunction::kCount, "big_id", "big"});
  auto plan = Stream::Generate(Bounded(200'000, 1'500, 40))
                  .WithColumn("big_id", IfElse(col("value") > lit(0.5), col("id"), Expr::Literal(arrow::MakeNullScalar(arrow::int64()))))
                  .WindowAggregate(Tumbling(kSecond), {"key"}, aggregates)
                  .Collect();
  SinkOutput output;
  auto lowered = LowerPlan(*plan, &output);
  ASSERT_TRUE(lowered.ok()) << lowered.status();
  auto shape = FindKeyedExchange(*plan->input(), *lowered);
  ASSERT_TRUE(shape.has_value());
  EXPECT_EQ(shape->below->kind(), PlanKind::kSource);
  EXPECT_EQ(shape->reads, (std::set<std::string>{"id", "key", "ts", "value"}));
  auto rows = ExpectSameOnEveryThreadCount(plan, 40 * 90);
  ASSERT_NE(rows, nullptr);
  auto big = arrow::compute::Sum(rows->GetColumnByName("big")).ValueOrDie();
  EXPECT_GT(big.scalar_as<arrow::Int64Scalar>().value, 50'000);

  auto keyed_by_computed = Stream::Generate(Bounded(20'000, 1'500, 40))
                               .WithColumn("bucket", col("key") + lit(int64_t{1}))
                               .WindowAggregate(Tumbling(kSecond), {"bucket"}, ExactAggregates())
                               .Collect();
  auto lowered_too = LowerPlan(*keyed_by_computed, &output);
  ASSERT_TRUE(lowered_too.ok()) << lowered_too.status();
  auto kept = FindKeyedExchange(*keyed_by_computed->input(), *lowered_too);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->below->kind(), PlanKind::kWithColumns);
  ExpectSameOnEveryThreadCount(keyed_by_computed, 40 * 10);
}

TEST(KeyedExchange, SessionWindowMatchesOneThread) {
  WindowSpec w;
  w.kind = WindowSpec::Kind::kSession;
  w.time_column = "ts";
  w.gap_us = 60'000;  // a key comes back every ~50 ms on average: sessions of varied length
  auto plan = Stream::Generate(Bounded(200'000, 1'000, 50))
                  .WindowAggregate(w, {"key"}, ExactAggregates())
                  .Collect();
  ExpectSameOnEveryThreadCount(plan, 1'000);
}

TEST(KeyedExchange, GlobalWindowMatchesOneThread) {
  // Emitted at each owner's end of input: an owner that ends first must not end the run.
  WindowSpec w;
  w.kind = WindowSpec::Kind::kGlobal;
  auto plan = Stream::Generate(Bounded(50'000, 1'500, 9))
                  .WindowAggregate(w, {"key"}, ExactAggregates())
                  .Collect();
  ExpectSameOnEveryThreadCount(plan, 9);
}

TEST(KeyedExchange, StressTinyBatchesManyThreads) {
  // Batches of 7 rows: thousands of routed batches and watermarks through 8 owners, twice.
  auto plan = Stream::Generate(Bounded(20'000, 7, 100))
                  .WindowAggregate(Tumbling(50'000), {"key"}, ExactAggregates())
                  .Collect();
  for (int round = 0; round < 2; ++round) ExpectSameOnEveryThreadCount(plan, 5'000);
}

TEST(KeyedExchange, RouterKeepsRowOrderAndSendsEachKeyToItsOwner) {
  arrow::Int64Builder ids, keys;
  for (int64_t i = 0; i < 10'000; ++i) {
    ASSERT_TRUE(ids.Append(i).ok());
    ASSERT_TRUE(keys.Append((i * 7919) % 301).ok());
  }
  auto schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("key", arrow::int64())});
  auto batch = arrow::RecordBatch::Make(schema, 10'000, {*ids.Finish(), *keys.Finish()});
  for (int owners : {2, 3, 8}) {
    KeyGroupRouter router({1}, owners);
    std::vector<std::shared_ptr<arrow::RecordBatch>> per_owner;
    ASSERT_TRUE(router.Route(batch, &per_owner).ok());
    ASSERT_EQ(per_owner.size(), static_cast<size_t>(owners));
    int64_t total = 0;
    for (int o = 0; o < owners; ++o) {
      if (per_owner[o] == nullptr) continue;
      total += per_owner[o]->num_rows();
      std::vector<uint16_t> groups;
      ASSERT_TRUE(KeyGroupsOf(*per_owner[o], {1}, kDefaultKeyGroups, &groups).ok());
      const auto& id = static_cast<const arrow::Int64Array&>(*per_owner[o]->column(0));
      for (int64_t i = 0; i < id.length(); ++i) {
        EXPECT_EQ(KeyGroupOwner(groups[i], owners), o);
        if (i > 0) {
          EXPECT_LT(id.Value(i - 1), id.Value(i)) << "owner " << o << " row " << i;
        }
      }
    }
    EXPECT_EQ(total, 10'000);
  }
}

// Four 64K-row memory splits, each with its own ten keys: a key's rows come from one
// producer, so its order is one thread's. Time goes up through the table, as one thread
// reads it.
Stream KeysPerSplit() {
  const int64_t rows = 4 * 65'536;
  arrow::Int64Builder ids, keys;
  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::MICRO), arrow::default_memory_pool());
  for (int64_t i = 0; i < rows; ++i) {
    EXPECT_TRUE(ids.Append((i * 104729) % 1'000'003).ok());  // not monotonic in i
    EXPECT_TRUE(keys.Append((i / 65'536) * 10 + (i * 31) % 10).ok());
    EXPECT_TRUE(ts.Append(i * 250).ok());
  }
  auto schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("key", arrow::int64()),
                               arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO))});
  SourceSpec spec;
  spec.kind = SourceSpec::Kind::kMemory;
  spec.table = arrow::Table::Make(schema, {*ids.Finish(), *keys.Finish(), *ts.Finish()});
  spec.event_time_column = "ts";
  return Stream::Read(spec);
}

TEST(KeyedExchange, RowsOfAKeyKeepTheirOrder) {
  // first and last are order-sensitive.
  auto plan = KeysPerSplit()
                  .WindowAggregate(Tumbling(kSecond), {"key"},
                                   {{AggregateFunction::kFirst, "id", "first"},
                                    {AggregateFunction::kLast, "id", "last"},
                                    {AggregateFunction::kCountAll, "", "n"}})
                  .Collect();
  ExpectSameOnEveryThreadCount(plan, 600);  // 4 splits x 16 windows x 10 keys
}

TEST(KeyedExchange, DictionaryAndDecimalKeysMatchOneThread) {
  // Three 64K-row memory splits; the window's keys are a dictionary-encoded string and a
  // decimal, which the stable key hash takes as their values.
  const int64_t rows = 3 * 65'536;
  arrow::StringDictionaryBuilder names;
  arrow::Decimal128Builder prices(arrow::decimal128(12, 2));
  arrow::Int64Builder ids;
  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::MICRO), arrow::default_memory_pool());
  for (int64_t i = 0; i < rows; ++i) {
    ASSERT_TRUE(names.Append("name-" + std::to_string((i * 7) % 25)).ok());
    ASSERT_TRUE(prices.Append(arrow::Decimal128(125 * (i % 3))).ok());
    ASSERT_TRUE(ids.Append(i).ok());
    ASSERT_TRUE(ts.Append(i * 100).ok());
  }
  auto name_column = *names.Finish();
  auto schema = arrow::schema({arrow::field("name", name_column->type()), arrow::field("price", arrow::decimal128(12, 2)),
                               arrow::field("id", arrow::int64()),
                               arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO))});
  SourceSpec spec;
  spec.kind = SourceSpec::Kind::kMemory;
  spec.table = arrow::Table::Make(schema, {name_column, *prices.Finish(), *ids.Finish(), *ts.Finish()});
  spec.event_time_column = "ts";
  auto plan = Stream::Read(spec)
                  .WindowAggregate(Tumbling(kSecond), {"name", "price"},
                                   {{AggregateFunction::kCountAll, "", "n"}, {AggregateFunction::kSum, "id", "id_sum"}})
                  .Collect();
  auto got = ExpectSameOnEveryThreadCount(plan, 2 * 25 * 3);
  ASSERT_NE(got, nullptr);
  auto n = arrow::compute::Sum(got->GetColumnByName("n")).ValueOrDie();
  EXPECT_EQ(n.scalar_as<arrow::Int64Scalar>().value, rows);
}

// A changelog (op, key, aggregates...) applied in order: the final row per key. Every
// update_before and delete must match the row held for its key, and no key is inserted
// twice, or the changelog broke its per-key order.
std::map<int64_t, std::vector<int64_t>> Materialize(const std::shared_ptr<arrow::Table>& changelog) {
  std::map<int64_t, std::vector<int64_t>> rows;
  auto batch = changelog->CombineChunksToBatch().ValueOrDie();
  auto ops = std::static_pointer_cast<arrow::StringArray>(batch->GetColumnByName("op"));
  auto keys = std::static_pointer_cast<arrow::Int64Array>(batch->GetColumnByName("key"));
  auto n = std::static_pointer_cast<arrow::Int64Array>(batch->GetColumnByName("n"));
  auto id_sum = std::static_pointer_cast<arrow::Int64Array>(batch->GetColumnByName("id_sum"));
  for (int64_t i = 0; i < batch->num_rows(); ++i) {
    const std::string op = ops->GetString(i);
    const std::vector<int64_t> row = {n->Value(i), id_sum->Value(i)};
    auto held = rows.find(keys->Value(i));
    if (op == kChangelogInsert) {
      EXPECT_EQ(held, rows.end()) << "key " << keys->Value(i) << " inserted twice";
      rows[keys->Value(i)] = row;
    } else if (op == kChangelogUpdateAfter) {
      EXPECT_NE(held, rows.end()) << "update_after of an absent key " << keys->Value(i);
      rows[keys->Value(i)] = row;
    } else {  // update_before, delete
      EXPECT_TRUE(op == kChangelogUpdateBefore || op == kChangelogDelete) << "unknown op " << op;
      EXPECT_TRUE(held != rows.end() && held->second == row) << op << " of key " << keys->Value(i) << " at row " << i;
      if (op == kChangelogDelete && held != rows.end()) rows.erase(held);
    }
  }
  return rows;
}

TEST(KeyedExchange, ChangelogAggregateMaterializesToTheBatchAnswer) {
  const GeneratorOptions g = Bounded(200'000, 1'000, 300);
  const std::vector<AggregateSpec> aggregates = {{AggregateFunction::kCountAll, "", "n"},
                                                 {AggregateFunction::kSum, "id", "id_sum"}};
  // The batch answer: a bounded aggregate over the same rows.
  Outcome batch = RunWith(Stream::Generate(g).Aggregate({"key"}, aggregates).Collect(), 1);
  ASSERT_NE(batch.rows, nullptr);
  std::map<int64_t, std::vector<int64_t>> want;
  for (int64_t i = 0; i < batch.rows->num_rows(); ++i) {
    auto value = [&](const char* name) {
      return std::static_pointer_cast<arrow::Int64Array>(batch.rows->GetColumnByName(name)->chunk(0))->Value(i);
    };
    want[value("key")] = {value("n"), value("id_sum")};
  }
  ASSERT_EQ(want.size(), 300u);

  auto plan = Stream::Generate(g).Filter(col("id") >= lit(int64_t{0})).ChangelogAggregate({"key"}, aggregates).Collect();
  SinkOutput output;
  auto lowered = LowerPlan(*plan, &output);
  ASSERT_TRUE(lowered.ok()) << lowered.status();
  ASSERT_TRUE(FindKeyedExchange(*plan->input(), *lowered).has_value());
  for (int threads : {1, 2, 8}) {
    RunOptions options;
    options.threads = threads;
    auto result = RunPlan(*plan, options);
    ASSERT_TRUE(result.ok()) << result.status();
    if (threads > 1) {
      EXPECT_GT(result->stats.peak_queue_messages, 0) << "the exchange did not run";
    }
    EXPECT_EQ(Materialize(*result->ToTable()), want) << threads << " threads";
  }
}

TEST(KeyedExchange, OnlyKeyedStepsWithoutSharedStateRunOnIt) {
  GeneratorOptions endless = Bounded(-1, 1'000, 10);
  const std::vector<AggregateSpec> count = {{AggregateFunction::kCountAll, "", "n"}};
  auto found = [](const PlanPtr& plan) {
    SinkOutput output;
    auto lowered = LowerPlan(*plan, &output);
    EXPECT_TRUE(lowered.ok()) << lowered.status();
    return lowered.ok() && FindKeyedExchange(*plan->input(), *lowered).has_value();
  };
  // An aggregate over an endless input is a changelog aggregate: keyed state.
  EXPECT_TRUE(found(Stream::Generate(endless).Aggregate({"key"}, count).Collect()));
  // A bounded one runs as a parallel partial aggregation; without keys, on one owner.
  EXPECT_FALSE(found(Stream::Generate(Bounded(1'000, 100, 10)).Aggregate({"key"}, count).Collect()));
  EXPECT_FALSE(found(Stream::Generate(endless).Aggregate({}, count).Collect()));
}

// Per key, each row's position among the key's rows so far (1, 2, ...), with its id: one
// output row per input row, so any change of a key's row order changes the output.
class RowNumber final : public KeyedProcessFunction {
 public:
  std::string name() const override { return "row_number"; }
  Result<std::shared_ptr<arrow::Schema>> OutputSchema(const arrow::Schema& input) override {
    id_column_ = input.GetFieldIndex("id");
    return Schema();
  }
  Status ProcessRows(const std::shared_ptr<arrow::RecordBatch>& rows, KeyedProcessContext& context) override {
    int64_t seen = context.Value<int64_t>("seen").value_or(0);
    arrow::Int64Builder positions;
    for (int64_t i = 0; i < rows->num_rows(); ++i) ARROW_RETURN_NOT_OK(positions.Append(++seen));
    context.SetValue<int64_t>("seen", seen);
    ARROW_ASSIGN_OR_RAISE(auto position, positions.Finish());
    ARROW_ASSIGN_OR_RAISE(auto key, arrow::MakeArrayFromScalar(*context.key_row()->column(0)->GetScalar(0).ValueOrDie(),
                                                               rows->num_rows()));
    context.Emit(arrow::RecordBatch::Make(Schema(), rows->num_rows(), {key, rows->column(id_column_), position}));
    return Status::OK();
  }

 private:
  static std::shared_ptr<arrow::Schema> Schema() {
    return arrow::schema({arrow::field("key", arrow::int64()), arrow::field("id", arrow::int64()),
                          arrow::field("position", arrow::int64())});
  }
  int id_column_ = -1;
};

class RowNumberFactory final : public KeyedProcessFactory {
 public:
  explicit RowNumberFactory(bool parallel) : parallel_(parallel) {}
  std::string name() const override { return "row_number"; }
  std::unique_ptr<KeyedProcessFunction> Make() const override { return std::make_unique<RowNumber>(); }
  bool runs_in_parallel() const override { return parallel_; }

 private:
  bool parallel_;
};

TEST(KeyedExchange, KeyedProcessFunctionMatchesOneThread) {
  // Row positions per key follow the key's row order, which is one thread's when each
  // key's rows come from one split. A bounded input keeps its source order in an ordered
  // job, so only an unordered one runs the function on the exchange.
  auto process = [](const Stream& input, bool parallel) {
    return input.KeyedProcess({"key"}, std::make_shared<RowNumberFactory>(parallel)).Collect();
  };
  auto rows = ExpectSameOnEveryThreadCount(process(KeysPerSplit(), true), 4 * 65'536, /*ordered=*/false);
  ASSERT_NE(rows, nullptr);
  EXPECT_EQ(rows->num_rows(), 4 * 65'536);
  Outcome ordered = RunWith(process(KeysPerSplit(), true), 4);
  EXPECT_EQ(ordered.result.stats.peak_queue_messages, 0) << "an ordered bounded job went through the exchange";
  ASSERT_NE(ordered.rows, nullptr);
  EXPECT_TRUE(ordered.rows->Equals(*rows));
  // A key spread over generator partitions: its rows from different producers may meet
  // in any order, but each row is numbered once, 1..n per key.
  const int64_t n = 120'000;
  Outcome spread = RunWith(process(Stream::Generate(Bounded(n, 700, 40)), true), 8, /*ordered=*/false);
  ASSERT_NE(spread.rows, nullptr);
  EXPECT_GT(spread.result.stats.peak_queue_messages, 0);
  ASSERT_EQ(spread.rows->num_rows(), n);
  std::map<int64_t, std::set<int64_t>> positions;
  auto batch = spread.rows->CombineChunksToBatch().ValueOrDie();
  auto keys = std::static_pointer_cast<arrow::Int64Array>(batch->GetColumnByName("key"));
  auto position = std::static_pointer_cast<arrow::Int64Array>(batch->GetColumnByName("position"));
  for (int64_t i = 0; i < n; ++i) positions[keys->Value(i)].insert(position->Value(i));
  EXPECT_EQ(positions.size(), 40u);
  for (const auto& [key, seen] : positions) {
    EXPECT_EQ(*seen.begin(), 1) << "key " << key;
    EXPECT_EQ(*seen.rbegin(), static_cast<int64_t>(seen.size())) << "key " << key;
  }
  // A factory that cannot run in parallel (a Python function) keeps to one thread.
  SinkOutput output;
  auto plan = process(KeysPerSplit(), false);
  auto lowered = LowerPlan(*plan, &output);
  ASSERT_TRUE(lowered.ok()) << lowered.status();
  EXPECT_FALSE(FindKeyedExchange(*plan->input(), *lowered).has_value());
}

TEST(KeyedExchange, RowsWindowMatchesOneThread) {
  // The last three ids of each key, per row: order-sensitive like a process function.
  auto plan = KeysPerSplit()
                  .RowsWindow({"key"}, 3, {{AggregateFunction::kSum, "id", "last3"}, {AggregateFunction::kMax, "id", "top3"}})
                  .Collect();
  auto rows = ExpectSameOnEveryThreadCount(plan, 4 * 65'536, /*ordered=*/false);
  ASSERT_NE(rows, nullptr);
  EXPECT_EQ(rows->num_rows(), 4 * 65'536);
}

// The late-rows metric of the window step of a run.
int64_t LateRowsCounted(const RunResult& result) {
  for (const auto& step : result.operators) {
    if (step.label.rfind("WindowAggregate", 0) == 0) return step.late_rows;
  }
  return -1;
}

std::set<int64_t> Ids(const std::shared_ptr<arrow::Table>& rows) {
  std::set<int64_t> ids;
  const auto& id = static_cast<const arrow::Int64Array&>(*rows->GetColumnByName("id")->chunk(0));
  for (int64_t i = 0; i < id.length(); ++i) ids.insert(id.Value(i));
  return ids;
}

int64_t SumOf(const std::shared_ptr<arrow::Table>& rows, const std::string& column) {
  return arrow::compute::Sum(rows->GetColumnByName(column)).ValueOrDie().scalar_as<arrow::Int64Scalar>().value;
}

TEST(KeyedExchange, WindowsNeverCloseEarlyAndEveryRowIsCountedOnce) {
  // Past the first 300 batches, now and then a row an hour behind: late on one thread.
  // On several, a row is late once the smallest watermark over all producers passed it,
  // so a producer that has not started yet (a loaded machine) may let one through; but
  // no row on time on one thread may be late (a window closed early), and the rows on
  // time everywhere must make the same windows.
  GeneratorOptions g = Bounded(400'000, 1'000, 20);
  const auto type = arrow::timestamp(arrow::TimeUnit::MICRO);
  auto hour_ago = Expr::Literal(std::make_shared<arrow::TimestampScalar>(g.start_time_us - 3600 * kSecond, type));
  auto stale = col("value") < lit(0.002) && col("id") >= lit(int64_t{300'000});
  WindowSpec w = Tumbling(kSecond);
  w.time_column = "t";
  w.allowed_lateness_us = kSecond;
  auto windowed = Stream::Generate(g)
                      .WithColumn("t", IfElse(stale, hour_ago, col("ts")))
                      .WindowAggregate(w, {"key"}, ExactAggregates());
  auto late = windowed.LateRows();
  ASSERT_TRUE(late.ok()) << late.status();

  Outcome stale_rows = RunWith(Stream::Generate(g).Filter(stale).Collect(), 1);
  Outcome one_late = RunWith(late->Collect(), 1);
  Outcome one_windows = RunWith(windowed.Collect(), 1);
  ASSERT_NE(stale_rows.rows, nullptr);
  ASSERT_NE(one_late.rows, nullptr);
  ASSERT_NE(one_windows.rows, nullptr);
  ASSERT_GT(stale_rows.rows->num_rows(), 100);
  EXPECT_EQ(Ids(one_late.rows), Ids(stale_rows.rows));
  EXPECT_EQ(LateRowsCounted(one_late.result), one_late.rows->num_rows());
  EXPECT_EQ(SumOf(one_windows.rows, "n") + one_late.rows->num_rows(), 400'000);

  const auto recent_from = std::make_shared<arrow::TimestampScalar>(g.start_time_us - 60 * kSecond, type);
  for (int threads : {2, 8}) {
    SCOPED_TRACE(std::to_string(threads) + " threads");
    Outcome late_rows = RunWith(late->Collect(), threads);
    Outcome windows = RunWith(windowed.Collect(), threads);
    ASSERT_NE(late_rows.rows, nullptr);
    ASSERT_NE(windows.rows, nullptr);
    EXPECT_EQ(late_rows.result.stats.threads, threads);
    const auto ids = Ids(late_rows.rows);
    EXPECT_TRUE(std::includes(Ids(one_late.rows).begin(), Ids(one_late.rows).end(), ids.begin(), ids.end()));
    EXPECT_EQ(LateRowsCounted(late_rows.result), late_rows.rows->num_rows());
    // Nothing lost, nothing twice: what the window did not take, it counted as late.
    EXPECT_EQ(SumOf(windows.rows, "n") + LateRowsCounted(windows.result), 400'000);
    // The windows from about the generator's start on (no stale row falls in one) are one
    // thread's.
    auto recent = arrow::compute::CallFunction("greater_equal",
                                               {windows.rows->GetColumnByName("window_start"), arrow::Datum(recent_from)})
                      .ValueOrDie();
    auto kept = arrow::compute::Filter(arrow::Datum(windows.rows), recent).ValueOrDie();
    auto recent_windows = Sorted(kept.table());
    EXPECT_EQ(recent_windows->num_rows(), one_windows.rows->num_rows());
    EXPECT_TRUE(recent_windows->Equals(*one_windows.rows));
  }
}

// Counts per 100 ms window and key over an endless generator of five keys, `rows_per_second`
// fast; 1 ms of event time per row, so a window closes every 100 rows.
Stream EndlessWindowCounts(int64_t batch_size, double rows_per_second) {
  GeneratorOptions g;
  g.rows = -1;
  g.batch_size = batch_size;
  g.rows_per_second = rows_per_second;
  g.num_keys = 5;
  return Stream::Generate(g).WindowAggregate(Tumbling(100'000), {"key"}, {{AggregateFunction::kCountAll, "", "n"}});
}

TEST(KeyedExchange, UnboundedRateLimitedGeneratorEndsAtALimit) {
  auto plan = EndlessWindowCounts(200, 50'000).Limit(40).Collect();
  for (int threads : {2, 8}) {
    Outcome got = RunWith(plan, threads);
    ASSERT_NE(got.rows, nullptr);
    EXPECT_EQ(got.rows->num_rows(), 40);
    EXPECT_EQ(got.result.stats.threads, threads);
    EXPECT_GT(got.result.stats.splits, 1);  // read as several partitions
    // Whole windows only: each counts ~100 rows over five keys.
    auto n = arrow::compute::Sum(got.rows->GetColumnByName("n")).ValueOrDie();
    EXPECT_GT(n.scalar_as<arrow::Int64Scalar>().value, 40 * 5);
  }
}

TEST(KeyedExchange, CancelStopsAnEndlessRun) {
  auto plan = EndlessWindowCounts(100, 20'000).Collect();
  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel = true;
  });
  RunOptions options;
  options.threads = 4;
  options.cancel = &cancel;
  auto got = RunPlan(*plan, options);
  canceller.join();
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(got.status().IsCancelled()) << got.status();
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("sabot_keyed_exchange_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

// Runs `plan` (writing `path`) on 1, 2 and 8 threads: the same error each time, and no
// file left behind.
void ExpectFailsCleanly(const PlanPtr& plan, const std::string& path, const std::string& expected) {
  std::string first;
  for (int threads : {1, 2, 8}) {
    RunOptions options;
    options.threads = threads;
    auto got = RunPlan(*plan, options);
    ASSERT_FALSE(got.ok()) << threads << " threads";
    EXPECT_NE(got.status().message().find(expected), std::string::npos) << got.status();
    if (threads == 1) first = got.status().ToString();
    EXPECT_EQ(got.status().ToString(), first) << threads << " threads";
    EXPECT_FALSE(std::filesystem::exists(path)) << threads << " threads left " << path;
  }
}

TEST(KeyedExchange, AnErrorInAProducerAbortsTheSink) {
  // id * 2^45 overflows from id 2^18 on: in a producer's copy of the steps below the
  // window, after windows have been written.
  const std::string path = TempPath("producer.csv");
  auto plan = Stream::Generate(Bounded(400'000, 1'000, 20))
                  .WithColumn("big", col("id") * lit(int64_t{1} << 45))
                  .WindowAggregate(Tumbling(kSecond), {"key"}, {{AggregateFunction::kMax, "big", "big"}})
                  .WriteCsv(path);
  ExpectFailsCleanly(plan, path, "overflow");
}

TEST(KeyedExchange, AnErrorInAnOwnerAbortsTheSink) {
  // A window's id sum grows with time; times 2^40 it overflows from about id 170K on,
  // above the window, on an owner's thread.
  const std::string path = TempPath("owner.csv");
  auto plan = Stream::Generate(Bounded(400'000, 1'000, 20))
                  .WindowAggregate(Tumbling(kSecond), {"key"}, ExactAggregates())
                  .WithColumn("big", col("id_sum") * lit(int64_t{1} << 40))
                  .WriteCsv(path);
  ExpectFailsCleanly(plan, path, "overflow");
}

// Sleeps in every call: a consumer slower than the producers.
class SlowStep final : public BatchFunction {
 public:
  std::string name() const override { return "slow"; }
  Result<std::shared_ptr<arrow::Schema>> OutputSchema(const std::shared_ptr<arrow::Schema>& input) override {
    return input;
  }
  Result<std::shared_ptr<arrow::RecordBatch>> Call(const std::shared_ptr<arrow::RecordBatch>& batch) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return batch;
  }
};

TEST(KeyedExchange, ASlowConsumerHoldsBackTheProducers) {
  // 1 ms windows: every batch closes windows, so the owners emit all the time into a
  // consumer that takes 2 ms a batch; the producers could go much faster.
  GeneratorOptions g = Bounded(20'000, 100, 50);
  g.max_out_of_orderness_us = 0;  // one row per window
  auto plan = Stream::Generate(g)
                  .WindowAggregate(Tumbling(1'000), {"key"}, {{AggregateFunction::kCountAll, "", "n"}})
                  .MapBatches(std::make_shared<SlowStep>())
                  .Count();
  RunOptions options;
  options.threads = 4;
  auto got = RunPlan(*plan, options);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->rows_written, 20'000);  // one row per 1 ms window
  EXPECT_EQ(got->stats.source_batches, 200);
  // The queues filled up to their capacity and no further: producers waited.
  EXPECT_EQ(got->stats.peak_queue_messages, 16);
}

}  // namespace
}  // namespace sabot
