// Logical plans: the builder, explain(), and the versioned JSON form.
#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/plan/plan_json.h"
#include "sabot/plan/stream.h"

namespace sabot {
namespace {

Stream SamplePipeline() {
  CsvOptions csv;
  csv.delimiter = ';';
  auto trips = Stream::ReadCsv("data/trips.csv", csv);
  GeneratorOptions g;
  g.rows = 1000;
  g.seed = 7;
  return trips.Filter(col("distance") > lit(2.0) && !IsNull(col("fare")))
      .WithColumn("fare_per_km", col("fare") / col("distance"))
      .Rename({{"id", "trip_id"}})
      .Union(Stream::ReadParquet("more.parquet", {"trip_id", "fare_per_km"}))
      .Union(Stream::Generate(g).Select({"id"}).Rename({{"id", "trip_id"}}))
      .Explode("tags")
      .Limit(10, 5);
}

TEST(Plan, ExplainShowsTree) {
  std::string text = SamplePipeline().Select({"trip_id"}).Explain();
  EXPECT_EQ(text,
            "Project trip_id\n"
            "  Limit 10 offset 5\n"
            "    Explode tags\n"
            "      Union 3 inputs\n"
            "        Rename id -> trip_id\n"
            "          WithColumns fare_per_km := (fare / distance)\n"
            "            Filter ((distance > 2) and (not is_null(fare)))\n"
            "              Source csv data/trips.csv\n"
            "        Source parquet more.parquet columns=[trip_id, fare_per_km]\n"
            "        Rename id -> trip_id\n"
            "          Project id\n"
            "            Source generator rows=1000 seed=7 keys=1000\n");
}

TEST(PlanJson, RoundTrips) {
  for (const PlanPtr& plan : {SamplePipeline().WriteParquet("out.parquet"), SamplePipeline().Print(20),
                              SamplePipeline().Count(), SamplePipeline().WriteJson("o.jsonl")}) {
    auto text = SerializePlan(*plan);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    auto back = DeserializePlan(*text);
    ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << *text;
    EXPECT_EQ(Explain(**back), Explain(*plan));
    auto again = SerializePlan(**back);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *text);
  }
}

Stream StatefulPipeline() {
  JoinSpec spec;
  spec.type = JoinType::kLeft;
  spec.left_keys = {"cust", "region"};
  spec.right_keys = {"id", "region"};
  spec.residual = col("amount") < col("limit");
  auto orders = Stream::ReadParquet("orders.parquet");
  auto customers = Stream::ReadCsv("customers.csv").Distinct({"id", "region", "limit"});
  return orders.Join(customers, spec)
      .Aggregate({"region"}, {{AggregateFunction::kSum, "amount", "total"},
                              {AggregateFunction::kCountAll, "", ""}})
      .Sort({{"total", false, true}, {"region", true, false}})
      .TopK({{"region", true, false}}, 3);
}

TEST(Plan, ExplainsStatefulNodes) {
  EXPECT_EQ(StatefulPipeline().Explain(),
            "TopK 3 by region asc\n"
            "  Sort total desc nulls first, region asc\n"
            "    Aggregate by region total := sum(amount), count(*)\n"
            "      Join left on cust = id and region = region where (amount < limit)\n"
            "        Source parquet orders.parquet\n"
            "        Distinct id, region, limit\n"
            "          Source csv customers.csv\n");
}

TEST(PlanJson, StatefulNodesRoundTrip) {
  auto plan = StatefulPipeline().WriteCsv("out.csv");
  auto text = SerializePlan(*plan);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  auto back = DeserializePlan(*text);
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << *text;
  EXPECT_EQ(Explain(**back), Explain(*plan));
  EXPECT_EQ(*SerializePlan(**back), *text);
}

TEST(PlanJson, AJoinsOutputColumnsRoundTrip) {
  JoinSpec spec;
  spec.left_keys = {"cust"};
  spec.right_keys = {"id"};
  spec.output_columns = std::vector<std::string>{"amount", "region"};
  auto plan = Stream::ReadParquet("orders.parquet").Join(Stream::ReadCsv("customers.csv"), spec).WriteCsv("out.csv");
  auto text = SerializePlan(*plan);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  auto back = DeserializePlan(*text);
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << *text;
  EXPECT_NE(Explain(**back).find("Join inner on cust = id output amount, region"), std::string::npos);
  EXPECT_EQ(*SerializePlan(**back), *text);
}

TEST(PlanJson, TopKPerGroupWithTiesRoundTrips) {
  auto plan = Stream::ReadParquet("bids.parquet")
                  .TopK({{"price", false, false}}, 2, {"auction", "day"}, /*with_ties=*/true)
                  .WriteCsv("out.csv");
  EXPECT_EQ(Explain(*plan->input()), "TopK 2 with ties per auction, day by price desc\n  Source parquet bids.parquet\n");
  auto text = SerializePlan(*plan);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  auto back = DeserializePlan(*text);
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << *text;
  EXPECT_EQ(*SerializePlan(**back), *text);
  const auto& top = static_cast<const TopKNode&>(*(*back)->input());
  EXPECT_EQ(top.per, (std::vector<std::string>{"auction", "day"}));
  EXPECT_TRUE(top.with_ties);
}

TEST(PlanJson, WindowAggregateRoundTrips) {
  WindowSpec window;
  window.kind = WindowSpec::Kind::kSliding;
  window.time_column = "ts";
  window.size_us = 10'000'000;
  window.slide_us = 5'000'000;
  window.allowed_lateness_us = 1'000'000;
  GeneratorOptions g;
  g.rows = -1;
  auto plan = Stream::Generate(g)
                  .WindowAggregate(window, {"key"}, {{AggregateFunction::kCountAll, "", "n"}})
                  .WriteJson("windows.jsonl");
  EXPECT_EQ(Explain(*plan->input()),
            "WindowAggregate sliding 10000000us every 5000000us on ts lateness 1000000us by key n := count(*)\n"
            "  Source generator rows=unbounded seed=42 keys=1000\n");
  auto text = SerializePlan(*plan);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  auto back = DeserializePlan(*text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*SerializePlan(**back), *text);
}

TEST(PlanJson, EventTimePiecesRoundTrip) {
  GeneratorOptions g;
  g.rows = -1;
  auto source = Stream::Generate(g).IdleTimeout(200'000);
  ASSERT_TRUE(source.ok()) << source.status();
  WindowSpec global;
  global.kind = WindowSpec::Kind::kGlobal;
  global.trigger_count = 100;
  WindowSpec tumbling;
  tumbling.time_column = "ts";
  tumbling.size_us = 1'000'000;
  tumbling.slide_us = 1'000'000;
  tumbling.allowed_lateness_us = 5;
  auto late = source->WindowAggregate(tumbling, {"key"}, {{AggregateFunction::kCountAll, "", "n"}}).LateRows();
  ASSERT_TRUE(late.ok()) << late.status();
  const std::vector<PlanPtr> plans = {
      source->WindowAggregate(global, {"key"}, {{AggregateFunction::kCountAll, "", "n"}}).Collect(),
      late->Collect(),
      source->ChangelogAggregate({"key"}, {{AggregateFunction::kSum, "value", "total"}}, 60'000'000, "ts").Collect()};
  for (const auto& plan : plans) {
    auto text = SerializePlan(*plan);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    EXPECT_NE(text->find(R"("idle_timeout_us")"), std::string::npos) << *text;
    auto back = DeserializePlan(*text);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*SerializePlan(**back), *text);
    EXPECT_EQ(Explain(**back), Explain(*plan));
  }
  EXPECT_EQ(Explain(*plans[2]->input()),
            "ChangelogAggregate by key total := sum(value) ttl 60000000us on ts\n"
            "  Source generator rows=unbounded seed=42 keys=1000 idle_timeout=200000us\n");
}

TEST(PlanJson, SessionWindowRoundTrips) {
  WindowSpec window;
  window.kind = WindowSpec::Kind::kSession;
  window.time_column = "ts";
  window.gap_us = 30'000'000;
  window.allowed_lateness_us = 1'000'000;
  GeneratorOptions g;
  g.rows = -1;
  auto plan = Stream::Generate(g)
                  .WindowAggregate(window, {"key"}, {{AggregateFunction::kCountAll, "", "n"}})
                  .WriteJson("sessions.jsonl");
  EXPECT_EQ(Explain(*plan->input()),
            "WindowAggregate session gap 30000000us on ts lateness 1000000us by key n := count(*)\n"
            "  Source generator rows=unbounded seed=42 keys=1000\n");
  auto text = SerializePlan(*plan);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_NE(text->find(R"("gap_us")"), std::string::npos) << *text;
  auto back = DeserializePlan(*text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*SerializePlan(**back), *text);

  auto bad = DeserializePlan(R"({"sabot_plan_version": 1, "plan": {"op": "window_aggregate",
      "window": {"kind": "hopping", "time_column": "ts"}, "aggregates": [],
      "input": {"op": "source", "format": "csv", "path": "a.csv"}}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("expected tumbling, sliding, session or global"), std::string::npos)
      << bad.status().message();
  auto no_gap = DeserializePlan(R"({"sabot_plan_version": 1, "plan": {"op": "window_aggregate",
      "window": {"kind": "session", "time_column": "ts"}, "aggregates": [],
      "input": {"op": "source", "format": "csv", "path": "a.csv"}}})");
  ASSERT_FALSE(no_gap.ok());
  EXPECT_NE(no_gap.status().message().find("gap_us"), std::string::npos) << no_gap.status().message();
}

TEST(PlanJson, IntervalJoinRoundTrips) {
  IntervalJoinSpec spec;
  spec.left_keys = {"key"};
  spec.right_keys = {"key"};
  spec.left_time = "ts";
  spec.right_time = "ts";
  spec.lower_us = -5'000;
  spec.upper_us = 10'000;
  GeneratorOptions g;
  g.rows = -1;
  auto plan = Stream::Generate(g).IntervalJoin(Stream::Generate(g), spec).WriteJson("pairs.jsonl");
  EXPECT_EQ(plan->input()->Describe(),
            "IntervalJoin on key = key, right.ts BETWEEN left.ts + -5000us AND left.ts + 10000us");
  auto text = SerializePlan(*plan);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  auto back = DeserializePlan(*text);
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << *text;
  EXPECT_EQ(Explain(**back), Explain(*plan));
  EXPECT_EQ(*SerializePlan(**back), *text);
  EXPECT_FALSE(IsBounded(*plan));

  auto one_input = DeserializePlan(R"({"sabot_plan_version": 1, "plan": {"op": "interval_join",
      "left_keys": ["k"], "right_keys": ["k"], "left_time": "ts", "right_time": "ts", "lower_us": 0, "upper_us": 1,
      "inputs": [{"op": "source", "format": "csv", "path": "a.csv"}]}})");
  ASSERT_FALSE(one_input.ok());
  EXPECT_NE(one_input.status().message().find("an interval join needs two inputs"), std::string::npos)
      << one_input.status().message();
}

TEST(PlanJsonErrors, StatefulNodes) {
  auto bad_join = DeserializePlan(R"({"sabot_plan_version": 1, "plan": {"op": "join", "type": "outer",
      "left_keys": ["a"], "right_keys": ["a"], "inputs": []}})");
  ASSERT_FALSE(bad_join.ok());
  EXPECT_NE(bad_join.status().message().find("plan.type: unknown join type 'outer'"), std::string::npos)
      << bad_join.status().message();
  auto bad_agg = DeserializePlan(R"({"sabot_plan_version": 1, "plan": {"op": "aggregate", "keys": [],
      "aggregates": [{"function": "median", "column": "x"}],
      "input": {"op": "source", "format": "csv", "path": "a.csv"}}})");
  ASSERT_FALSE(bad_agg.ok());
  EXPECT_NE(bad_agg.status().message().find("plan.aggregates[0].function"), std::string::npos)
      << bad_agg.status().message();
}

TEST(PlanJson, KeepsCsvOptionsAndExplicitSchema) {
  SourceSpec spec;
  spec.format = FileFormat::kCsv;
  spec.path = "a.csv";
  spec.csv.delimiter = '|';
  spec.csv.header = false;
  spec.schema = arrow::schema({arrow::field("x", arrow::int32()), arrow::field("t", arrow::timestamp(arrow::TimeUnit::MILLI))});
  auto text = SerializePlan(*Stream::Read(spec).Print());
  ASSERT_TRUE(text.ok());
  auto back = DeserializePlan(*text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  const auto& source = static_cast<const SourceNode&>(*(*back)->input()).spec;
  EXPECT_EQ(source.csv.delimiter, '|');
  EXPECT_FALSE(source.csv.header);
  ASSERT_NE(source.schema, nullptr);
  EXPECT_TRUE(source.schema->Equals(*spec.schema));
}

TEST(PlanJson, RelativePathsAreTakenFromBaseDir) {
  auto text = SerializePlan(*Stream::ReadCsv("in.csv").WriteCsv("out/x.csv"));
  ASSERT_TRUE(text.ok());
  PlanReadOptions options;
  options.base_dir = "/jobs/etl";
  auto back = DeserializePlan(*text, options);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(static_cast<const SinkNode&>(**back).spec.path, "/jobs/etl/out/x.csv");
  EXPECT_EQ(static_cast<const SourceNode&>(*(*back)->input()).spec.path, "/jobs/etl/in.csv");
}

TEST(PlanJsonErrors, OtherVersionIsRefused) {
  PlanReadOptions options;
  options.origin = "job.json";
  auto back = DeserializePlan(R"({"sabot_plan_version": 2, "plan": {}})", options);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().message().find("job.json: plan format version 2 is not supported"), std::string::npos)
      << back.status().message();
  EXPECT_NE(back.status().message().find("reads version 1"), std::string::npos);
}

TEST(PlanJsonErrors, NamePlaceInDocument) {
  auto unknown = DeserializePlan(R"({"sabot_plan_version": 1, "plan": {"op": "sink", "kind": "print",
      "input": {"op": "fliter", "input": {}}}})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("plan.input.op: unknown op 'fliter'"), std::string::npos)
      << unknown.status().message();

  auto missing = DeserializePlan(R"({"sabot_plan_version": 1, "plan": {"op": "limit",
      "input": {"op": "source", "format": "csv", "path": "a.csv"}}})");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("plan: missing \"count\""), std::string::npos)
      << missing.status().message();

  auto bad_json = DeserializePlan("{\"sabot_plan_version\": 1,, }");
  ASSERT_FALSE(bad_json.ok());
  EXPECT_NE(bad_json.status().message().find("not valid JSON at byte 26"), std::string::npos)
      << bad_json.status().message();

  auto not_plan = DeserializePlan("[1, 2]");
  ASSERT_FALSE(not_plan.ok());
  auto bad_format = DeserializePlan(R"({"sabot_plan_version": 1, "plan":
      {"op": "source", "format": "xls", "path": "a.xls"}})");
  ASSERT_FALSE(bad_format.ok());
  EXPECT_NE(bad_format.status().message().find("plan.format: unknown file format 'xls'"), std::string::npos)
      << bad_format.status().message();
}

TEST(PlanJsonErrors, MemoryTablesCannotBeSerialized) {
  auto table = arrow::Table::MakeEmpty(arrow::schema({arrow::field("a", arrow::int64())})).ValueOrDie();
  auto text = SerializePlan(*Stream::FromTable(table, "orders").Print());
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("in-memory table 'orders'"), std::string::npos);
}

TEST(PlanJsonErrors, MissingPlanFile) {
  auto plan = ReadPlanFile("/nonexistent/plan.json");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().message(), "plan file not found: /nonexistent/plan.json");
}

}  // namespace
}  // namespace sabot
