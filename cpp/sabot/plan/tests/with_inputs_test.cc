// WithInputs copies every kind of plan node with all of its fields: the optimizer rebuilds
// plans through it, so a field it forgets silently changes a query (two merges did that).
#include <set>
#include <string>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/ops/keyed_process.h"
#include "sabot/plan/plan_json.h"
#include "sabot/plan/stream.h"

namespace sabot {
namespace {

using F = AggregateFunction;

// Every node rebuilt bottom-up through WithInputs.
PlanPtr CopyTree(const PlanPtr& node) {
  std::vector<PlanPtr> inputs;
  for (const auto& input : node->inputs()) inputs.push_back(CopyTree(input));
  return WithInputs(*node, std::move(inputs));
}

void CollectKinds(const PlanNode& node, std::set<PlanKind>* kinds) {
  kinds->insert(node.kind());
  for (const auto& input : node.inputs()) CollectKinds(*input, kinds);
}

class Identity final : public BatchFunction {
 public:
  std::string name() const override { return "identity"; }
  Result<std::shared_ptr<arrow::Schema>> OutputSchema(const std::shared_ptr<arrow::Schema>& input) override {
    return input;
  }
  Result<std::shared_ptr<arrow::RecordBatch>> Call(const std::shared_ptr<arrow::RecordBatch>& batch) override {
    return batch;
  }
};

class NoProcess final : public KeyedProcessFactory {
 public:
  std::string name() const override { return "no_process"; }
  std::unique_ptr<KeyedProcessFunction> Make() const override { return nullptr; }
};

// Plans that together hold every kind of node, each field away from its default.
std::vector<PlanPtr> Examples() {
  GeneratorOptions gen;
  gen.rows = 1000;
  gen.max_out_of_orderness_us = 5;
  auto g = Stream::Generate(gen);
  auto csv = Stream::ReadCsv("in.csv");
  std::vector<PlanPtr> plans;

  plans.push_back(g.Filter(col("value") > lit(0.5))
                      .WithColumn("v2", col("value") * lit(2.0))
                      .Rename({{"v2", "twice"}})
                      .Project({{"k", col("key")}, {"t", col("twice")}})
                      .Union(g.Project({{"k", col("key")}, {"t", col("value")}}))
                      .Limit(10, 3)
                      .To(SinkSpec{}));
  plans.push_back(csv.Explode("items").Distinct({"items"}).Sort({{"items", false, true}}).To(SinkSpec{}));

  JoinSpec join;
  join.type = JoinType::kLeft;
  join.left_keys = {"key"};
  join.right_keys = {"key"};
  join.right_suffix = "_r";
  join.residual = col("value") > col("value_r");
  plans.push_back(g.Join(g, join).To(SinkSpec{}));
  JoinSpec changelog_join;
  changelog_join.type = JoinType::kFull;
  changelog_join.left_keys = changelog_join.right_keys = {"key"};
  changelog_join.changelog = true;
  changelog_join.state_ttl_us = 37;
  changelog_join.time_column = "ts";
  plans.push_back(g.Join(g, changelog_join).To(SinkSpec{}));

  IntervalJoinSpec interval;
  interval.left_keys = interval.right_keys = {"key"};
  interval.left_time = interval.right_time = "ts";
  interval.lower_us = 7;
  interval.upper_us = 9;
  interval.right_suffix = "_i";
  plans.push_back(g.IntervalJoin(g, interval).To(SinkSpec{}));

  AsofJoinSpec asof;
  asof.type = JoinType::kLeft;
  asof.left_keys = asof.right_keys = {"key"};
  asof.left_time = asof.right_time = "ts";
  asof.tolerance_us = 11;
  asof.right_suffix = "_a";
  plans.push_back(g.AsofJoin(g, asof).To(SinkSpec{}));

  WindowJoinSpec window_join;
  window_join.left_keys = window_join.right_keys = {"key"};
  window_join.left_time = window_join.right_time = "ts";
  window_join.size_us = 100;
  window_join.slide_us = 50;
  window_join.right_suffix = "_w";
  plans.push_back(g.WindowJoin(g, window_join).To(SinkSpec{}));

  TemporalJoinSpec temporal;
  temporal.type = JoinType::kLeft;
  temporal.left_keys = temporal.right_keys = {"key"};
  temporal.left_time = "ts";
  temporal.version_time = "ts";
  temporal.op_column = "op";
  temporal.right_suffix = "_t";
  plans.push_back(g.TemporalJoin(g, temporal).To(SinkSpec{}));

  const std::vector<AggregateSpec> aggs = {{F::kSum, "value", "s"}, {F::kCountAll, "", "n"}};
  plans.push_back(g.Aggregate({"key"}, aggs).TopK({{"s", false, false}}, 3, {"key"}, true).To(SinkSpec{}));

  WindowSpec sliding;
  sliding.kind = WindowSpec::Kind::kSliding;
  sliding.time_column = "ts";
  sliding.size_us = 100;
  sliding.slide_us = 25;
  sliding.allowed_lateness_us = 13;
  auto late = g.WindowAggregate(sliding, {"key"}, aggs).LateRows();
  if (late.ok()) plans.push_back(late->To(SinkSpec{}));
  WindowSpec global;
  global.kind = WindowSpec::Kind::kGlobal;
  global.trigger_count = 17;
  global.trigger_interval_us = 19;
  plans.push_back(g.WindowAggregate(global, {"key"}, aggs).To(SinkSpec{}));

  plans.push_back(g.ChangelogAggregate({"key"}, aggs, 23, "ts").To(SinkSpec{}));
  plans.push_back(g.RowsWindow({"key"}, 31, {{F::kMean, "value", "avg"}, {F::kCountAll, "", "n"}}).To(SinkSpec{}));
  plans.push_back(g.MapBatches(std::make_shared<Identity>())
                      .KeyedProcess({"key"}, std::make_shared<NoProcess>(), /*state_ttl_us=*/29)
                      .To(SinkSpec{}));
  return plans;
}

TEST(WithInputs, CopiesEveryKindWithAllItsFields) {
  std::set<PlanKind> covered;
  for (const auto& plan : Examples()) {
    CollectKinds(*plan, &covered);
    PlanPtr copy = CopyTree(plan);
    ASSERT_NE(copy, nullptr) << Explain(*plan);
    EXPECT_EQ(Explain(*copy), Explain(*plan));
    auto json = SerializePlan(*plan);
    if (!json.ok()) continue;  // user code (map_batches, keyed process) is not serializable
    auto copied = SerializePlan(*copy);
    ASSERT_TRUE(copied.ok()) << copied.status().ToString();
    EXPECT_EQ(*copied, *json);
  }
  // Every kind the engine knows has an example above: a new kind must get one.
  for (int k = 0; k < 256; ++k) {
    const auto kind = static_cast<PlanKind>(k);
    if (ToString(kind) == "?") continue;
    EXPECT_TRUE(covered.count(kind)) << ToString(kind) << " has no example in this test";
  }
}

}  // namespace
}  // namespace sabot
