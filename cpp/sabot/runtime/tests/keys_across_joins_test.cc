// Late decoding of group keys across joins: an aggregate whose string keys come through
// joins from filtered Parquet scans groups them as the scans read them (dictionaries),
// and its results on every thread count are those of the keys decoded before the join.
#include <map>
#include <random>
#include <string>
#include <tuple>

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>

#include "sabot/io/tests/read_all.h"
#include "sabot/plan/stream.h"
#include "sabot/runtime/keys_across_joins.h"
#include "sabot/runtime/physical_planner.h"
#include "sabot/runtime/run.h"

namespace sabot {
namespace {

using ::sabot::testing::TempDir;

void Write(const std::shared_ptr<arrow::Table>& table, const std::string& path, int64_t row_group) {
  auto out = *arrow::io::FileOutputStream::Open(path);
  ASSERT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, row_group).ok());
  ASSERT_TRUE(out->Close().ok());
}

// facts: 60K rows in 6 row groups; k in [0, 12000) (the join key), x in [0, 1), shipmode a
// low-cardinality string. dims: dk = 0..11999 in 4 row groups, each group's priorities
// drawn from its own part of the values (so the row groups' dictionaries differ), some
// null; tag two strings; d = dk % 10 (filtered on).
struct Files {
  std::string facts, dims;
};

Files WriteInput(const TempDir& dir) {
  std::mt19937 rng(11);
  const char* modes[] = {"AIR", "MAIL", "RAIL", "SHIP", "TRUCK"};
  const char* priorities[] = {"1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW"};
  arrow::Int64Builder k;
  arrow::DoubleBuilder x;
  arrow::StringBuilder mode;
  for (int i = 0; i < 60'000; ++i) {
    EXPECT_TRUE(k.Append(static_cast<int64_t>(rng() % 12'000)).ok());
    EXPECT_TRUE(x.Append(static_cast<double>(rng() % 1000) / 8).ok());
    EXPECT_TRUE(mode.Append(modes[rng() % 5]).ok());
  }
  Files files{dir.File("facts.parquet"), dir.File("dims.parquet")};
  Write(arrow::Table::Make(arrow::schema({arrow::field("k", arrow::int64()), arrow::field("x", arrow::float64()),
                                          arrow::field("shipmode", arrow::utf8())}),
                           {*k.Finish(), *x.Finish(), *mode.Finish()}),
        files.facts, 10'000);
  arrow::Int64Builder dk, d;
  arrow::StringBuilder priority, tag;
  for (int i = 0; i < 12'000; ++i) {
    EXPECT_TRUE(dk.Append(i).ok());
    EXPECT_TRUE(d.Append(i % 10).ok());
    const int group = i / 3000;
    EXPECT_TRUE((rng() % 50 == 0 ? priority.AppendNull() : priority.Append(priorities[group + rng() % 2])).ok());
    EXPECT_TRUE(tag.Append(rng() % 2 ? "F" : "O").ok());
  }
  Write(arrow::Table::Make(arrow::schema({arrow::field("dk", arrow::int64()), arrow::field("d", arrow::int64()),
                                          arrow::field("priority", arrow::utf8()), arrow::field("tag", arrow::utf8())}),
                           {*dk.Finish(), *d.Finish(), *priority.Finish(), *tag.Finish()}),
        files.dims, 3000);
  return files;
}

Stream Dims(const Files& files) {
  return Stream::ReadParquet(files.dims).Filter(col("d") < lit(int64_t{7})).Select({"dk", "priority", "tag"});
}

// The groups' (count, sum of x) by their keys' values, from a result whose first
// `keys` columns are strings (null as "<null>") and whose last two are the count and sum.
using Groups = std::map<std::vector<std::string>, std::tuple<int64_t, double>>;
Groups Collect(const RunResult& result, int keys) {
  Groups groups;
  for (const auto& batch : result.collected) {
    for (int64_t i = 0; i < batch->num_rows(); ++i) {
      std::vector<std::string> key;
      for (int c = 0; c < keys; ++c) {
        const auto& column = static_cast<const arrow::StringArray&>(*batch->column(c));
        key.push_back(column.IsNull(i) ? "<null>" : column.GetString(i));
      }
      const int n = batch->num_columns();
      groups[key] = {static_cast<const arrow::Int64Array&>(*batch->column(n - 2)).Value(i),
                     static_cast<const arrow::DoubleArray&>(*batch->column(n - 1)).Value(i)};
    }
  }
  return groups;
}

const AggregateSpec kCount{AggregateFunction::kCountAll, "", "n"};
const AggregateSpec kSum{AggregateFunction::kSum, "x", "total"};

// What PlanKeysEncodedAcrossJoins records for `plan` (a plan ending in a sink).
LowerOptions Planned(const PlanPtr& plan) {
  SinkOutput output;
  auto lowered = LowerPlan(*plan, &output);
  EXPECT_TRUE(lowered.ok()) << lowered.status().ToString();
  LowerOptions done;
  if (lowered.ok()) PlanKeysEncodedAcrossJoins(*plan->input(), *lowered, &done);
  return done;
}

// Expects every thread count's groups to be `want`'s; the result's keys plain strings.
void ExpectGroups(const PlanPtr& plan, int keys, const Groups& want) {
  RunOptions options;
  for (int threads : {1, 2, 8}) {
    options.threads = threads;
    auto got = RunPlan(*plan, options);
    ASSERT_TRUE(got.ok()) << threads << " threads: " << got.status().ToString();
    for (int c = 0; c < keys; ++c) EXPECT_TRUE(got->schema->field(c)->type()->Equals(*arrow::utf8()));
    const Groups groups = Collect(*got, keys);
    ASSERT_EQ(groups.size(), want.size()) << threads << " threads";
    for (const auto& [key, value] : want) {
      auto found = groups.find(key);
      ASSERT_NE(found, groups.end()) << threads << " threads";
      EXPECT_EQ(std::get<0>(found->second), std::get<0>(value)) << threads << " threads";
      EXPECT_NEAR(std::get<1>(found->second), std::get<1>(value), 1e-9 * std::abs(std::get<1>(value)));
    }
  }
}

// The groups with the keys decoded before the join: an accumulator over a key (here min)
// keeps every key plain, as it would read a dictionary.
Groups Reference(const Stream& joined, const std::vector<std::string>& keys) {
  const AggregateSpec min_key{AggregateFunction::kMin, keys.front(), "lo"};
  auto plan = joined.Aggregate(keys, {min_key, kCount, kSum}).Select([&] {
    auto columns = keys;
    columns.push_back("n");
    columns.push_back("total");
    return columns;
  }()).Collect();
  EXPECT_TRUE(Planned(plan).aggregates_decoding_joined_keys.empty());
  auto result = RunPlan(*plan, RunOptions{});
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? Collect(*result, static_cast<int>(keys.size())) : Groups{};
}

TEST(KeysAcrossJoins, BuildSideKeysStayEncodedUpToTheAggregate) {
  TempDir dir;
  const Files files = WriteInput(dir);
  const Stream joined = Stream::ReadParquet(files.facts).Join(Dims(files), {"k"}, {"dk"});
  auto plan = joined.Aggregate({"priority", "tag"}, {kCount, kSum}).Collect();

  const LowerOptions done = Planned(plan);
  ASSERT_EQ(done.aggregates_decoding_joined_keys.size(), 1u);
  EXPECT_EQ(*done.aggregates_decoding_joined_keys.begin(), plan->input().get());
  ASSERT_EQ(done.scans_leaving_keys_encoded.size(), 1u);
  const PlanNode* dims_filter = plan->input()->input()->inputs()[1]->input().get();
  ASSERT_EQ(dims_filter->kind(), PlanKind::kFilter);
  EXPECT_EQ(done.scans_leaving_keys_encoded.at(dims_filter), (std::vector<std::string>{"priority", "tag"}));
  // Lowered so, the filter's output and the join's carry the keys as dictionaries, and the
  // aggregate decodes them.
  SinkOutput output;
  auto lowered = LowerPlan(*plan, &output, done);
  ASSERT_TRUE(lowered.ok()) << lowered.status().ToString();
  for (const PlanNode* node : {dims_filter, plan->input()->input().get()}) {
    EXPECT_EQ(lowered->schemas.at(node)->GetFieldByName("priority")->type()->id(), arrow::Type::DICTIONARY);
  }
  EXPECT_EQ(lowered->aggregates_decoding_keys.count(plan->input().get()), 1u);
  EXPECT_TRUE(lowered->schemas.at(plan->input().get())->field(0)->type()->Equals(*arrow::utf8()));

  const Groups want = Reference(joined, {"priority", "tag"});
  EXPECT_EQ(want.size(), 12u);  // 5 priorities and the null, by 2 tags
  ExpectGroups(plan, 2, want);
}

// A build side read without a filter: the source reads the key as a dictionary itself.
TEST(KeysAcrossJoins, BuildSideScanWithoutFilterReadsTheKeysAsDictionaries) {
  TempDir dir;
  const Files files = WriteInput(dir);
  const Stream joined =
      Stream::ReadParquet(files.facts).Join(Stream::ReadParquet(files.dims).Select({"dk", "tag"}), {"k"}, {"dk"});
  auto plan = joined.Aggregate({"tag"}, {kCount, kSum}).Collect();
  const LowerOptions done = Planned(plan);
  EXPECT_EQ(done.aggregates_decoding_joined_keys.size(), 1u);
  const PlanNode* dims_source = plan->input()->input()->inputs()[1]->input().get();
  ASSERT_EQ(dims_source->kind(), PlanKind::kSource);
  ASSERT_EQ(done.scans_leaving_keys_encoded.count(dims_source), 1u);
  EXPECT_EQ(done.scans_leaving_keys_encoded.at(dims_source), std::vector<std::string>{"tag"});
  SinkOutput output;
  auto lowered = LowerPlan(*plan, &output, done);
  ASSERT_TRUE(lowered.ok()) << lowered.status().ToString();
  const auto& read = *lowered->schemas.at(dims_source);
  EXPECT_EQ(read.GetFieldByName("tag")->type()->id(), arrow::Type::DICTIONARY);
  EXPECT_TRUE(read.GetFieldByName("priority")->type()->Equals(*arrow::utf8()));  // not a key
  const Groups want = Reference(joined, {"tag"});
  EXPECT_EQ(want.size(), 2u);
  ExpectGroups(plan, 1, want);
}

TEST(KeysAcrossJoins, KeysFromBothSidesAndASemiJoinsBuildRows) {
  TempDir dir;
  const Files files = WriteInput(dir);
  // shipmode from the probe side's filter, priority from the build side.
  const Stream joined = Stream::ReadParquet(files.facts)
                            .Filter(col("x") < lit(100.0))
                            .Join(Dims(files), {"k"}, {"dk"})
                            .WithColumn("x2", col("x") * lit(2.0));
  auto plan = joined.Aggregate({"shipmode", "priority"}, {kCount, kSum}).Collect();
  const LowerOptions done = Planned(plan);
  EXPECT_EQ(done.aggregates_decoding_joined_keys.size(), 1u);
  EXPECT_EQ(done.scans_leaving_keys_encoded.size(), 2u);
  ExpectGroups(plan, 2, Reference(joined, {"shipmode", "priority"}));

  // A right semi join outputs the build rows it matched.
  JoinSpec semi;
  semi.type = JoinType::kRightSemi;
  semi.left_keys = {"k"};
  semi.right_keys = {"dk"};
  const Stream matched = Stream::ReadParquet(files.facts).Filter(col("x") < lit(1.0)).Join(Dims(files), semi)
                             .WithColumn("x", lit(1.0));
  auto semi_plan = matched.Aggregate({"tag", "priority"}, {kCount, kSum}).Collect();
  EXPECT_EQ(Planned(semi_plan).aggregates_decoding_joined_keys.size(), 1u);
  ExpectGroups(semi_plan, 2, Reference(matched, {"tag", "priority"}));
}

TEST(KeysAcrossJoins, KeysThatCannotStayEncodedLeaveThePlanAsItIs) {
  TempDir dir;
  const Files files = WriteInput(dir);
  const Stream facts = Stream::ReadParquet(files.facts);
  // A key read as a dictionary with one read as int64: DictKeyGrouper does not take the
  // pair, so nothing stays encoded.
  auto dims_d = Stream::ReadParquet(files.dims).Filter(col("d") < lit(int64_t{7})).Select({"dk", "d", "priority"});
  auto with_number = facts.Join(dims_d, {"k"}, {"dk"}).Aggregate({"priority", "d"}, {kCount}).Collect();
  EXPECT_TRUE(Planned(with_number).aggregates_decoding_joined_keys.empty());
  EXPECT_TRUE(Planned(with_number).scans_leaving_keys_encoded.empty());
  // A key a filter compares with another column is read plain.
  auto compared = Stream::ReadParquet(files.dims).Filter(col("priority") != col("tag")).Select({"dk", "priority"});
  auto plain_key = facts.Join(compared, {"k"}, {"dk"}).Aggregate({"priority"}, {kCount}).Collect();
  EXPECT_TRUE(Planned(plain_key).aggregates_decoding_joined_keys.empty());
  // A key computed or renamed on the way.
  auto renamed = facts.Join(Dims(files).Project({{"dk", col("dk")}, {"p", col("priority")}}), {"k"}, {"dk"})
                     .Aggregate({"p"}, {kCount})
                     .Collect();
  EXPECT_TRUE(Planned(renamed).aggregates_decoding_joined_keys.empty());
  // A build side read by two joins is lowered once for each: it is left as it is.
  const Stream dims = Dims(files);
  auto shared = facts.Join(dims, {"k"}, {"dk"})
                    .Join(dims.Select({"dk", "tag"}).Rename({{"dk", "dk2"}, {"tag", "tag2"}}), {"k"}, {"dk2"})
                    .Aggregate({"priority", "tag2"}, {kCount})
                    .Collect();
  EXPECT_TRUE(Planned(shared).aggregates_decoding_joined_keys.empty());
  // Without a join, the lowering's own late decoding decides (dictionary_keys_test.cc).
  auto no_join = Dims(files).Aggregate({"priority"}, {kCount}).Collect();
  EXPECT_TRUE(Planned(no_join).aggregates_decoding_joined_keys.empty());
  // Each of those still runs to the same groups as with the keys decoded first.
  RunOptions options;
  options.threads = 2;
  for (const auto& plan : {with_number, plain_key, renamed, shared}) {
    auto result = RunPlan(*plan, options);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
  }
}

}  // namespace
}  // namespace sabot
