// Stream: the fluent C++ builder of logical plans. Each call returns a new Stream;
// nothing runs until the plan ends in a sink and is handed to the runtime.
//
//   auto plan = Stream::ReadCsv("trips.csv")
//                   .Filter(col("distance") > lit(2.0))
//                   .WithColumn("fare_per_km", col("fare") / col("distance"))
//                   .Select({"id", "fare_per_km"})
//                   .WriteParquet("out.parquet");
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/plan/plan_node.h"

namespace sabot {

class Stream {
 public:
  explicit Stream(PlanPtr node) : node_(std::move(node)) {}

  static Stream Read(SourceSpec spec);
  static Stream ReadCsv(std::string path, CsvOptions options = {});
  static Stream ReadJson(std::string path);
  static Stream ReadIpc(std::string path);
  static Stream ReadParquet(std::string path, std::vector<std::string> columns = {});
  static Stream Generate(GeneratorOptions options);
  //! One table of the Nexmark benchmark's events (see NexmarkOptions).
  static Stream Nexmark(NexmarkOptions options);
  static Stream FromTable(std::shared_ptr<arrow::Table> table, std::string name = "table");

  //! This source (the stream must be one) declaring itself idle after `timeout_us`
  //! without data, so unions and joins stop waiting for its watermark (see SourceSpec).
  Result<Stream> IdleTimeout(int64_t timeout_us) const;

  Stream Filter(Expr predicate) const;
  Stream Select(const std::vector<std::string>& columns) const;
  Stream Project(std::vector<NamedExpr> columns) const;
  Stream WithColumn(std::string name, Expr expr) const;
  Stream WithColumns(std::vector<NamedExpr> columns) const;
  Stream Rename(std::vector<std::pair<std::string, std::string>> renames) const;
  Stream Union(const Stream& other) const;
  Stream Limit(int64_t count, int64_t offset = 0) const;
  Stream Explode(std::string column) const;
  Stream MapBatches(std::shared_ptr<BatchFunction> function) const;
  //! Joins on equal keys: Join(orders, {"cust_id"}, {"id"}, JoinType::kLeft).
  Stream Join(const Stream& right, std::vector<std::string> left_keys, std::vector<std::string> right_keys,
              JoinType type = JoinType::kInner) const;
  Stream Join(const Stream& right, JoinSpec spec) const;
  //! Event-time interval join (inner): equal keys and the right time within
  //! [left time + lower, left time + upper]; state is released by watermarks.
  Stream IntervalJoin(const Stream& right, IntervalJoinSpec spec) const;
  //! Event-time as-of join: each row meets the latest right row of its key at or before
  //! its time (see AsofJoinSpec).
  Stream AsofJoin(const Stream& right, AsofJoinSpec spec) const;
  //! Event-time window join (inner): equal keys in the same tumbling or sliding window.
  Stream WindowJoin(const Stream& right, WindowJoinSpec spec) const;
  //! Event-time temporal join: each row meets the version of `table` (a versioned
  //! table's history) valid at its time (see TemporalJoinSpec).
  Stream TemporalJoin(const Stream& table, TemporalJoinSpec spec) const;
  Stream Aggregate(std::vector<std::string> keys, std::vector<AggregateSpec> aggregates) const;
  //! Event-time window aggregation; results leave as the watermark passes each window.
  Stream WindowAggregate(WindowSpec window, std::vector<std::string> keys, std::vector<AggregateSpec> aggregates) const;
  //! GROUP BY as a changelog: after each batch, the changed results with an `op` column
  //! (see ChangelogAggregateNode); `state_ttl_us` > 0 forgets keys idle that long in
  //! event time (`time_column`).
  Stream ChangelogAggregate(std::vector<std::string> keys, std::vector<AggregateSpec> aggregates,
                            int64_t state_ttl_us = 0, std::string time_column = {}) const;
  //! Runs the factory's keyed process function per key of `keys`; with `state_ttl_us` > 0
  //! a key's state expires that long in event time after its last write.
  Stream KeyedProcess(std::vector<std::string> keys, std::shared_ptr<const KeyedProcessFactory> factory,
                      int64_t state_ttl_us = 0) const;
  //! Per key of `keys`, `aggregates` over the key's last `rows` rows, appended to every
  //! row (see RowsWindowNode).
  Stream RowsWindow(std::vector<std::string> keys, int64_t rows, std::vector<AggregateSpec> aggregates) const;
  //! The rows a window aggregate (this stream) received past its allowed lateness, as a
  //! stream of the window's input schema; an error when this is not a window aggregate.
  Result<Stream> LateRows() const;
  Stream Sort(std::vector<SortKey> keys) const;
  //! With `per` columns: the best k rows of each group of equal `per` values (and with
  //! `with_ties` the rows tied with each group's k-th).
  Stream TopK(std::vector<SortKey> keys, int64_t k, std::vector<std::string> per = {}, bool with_ties = false) const;
  Stream Distinct(std::vector<std::string> columns = {}) const;

  PlanPtr To(SinkSpec spec) const;
  PlanPtr WriteCsv(std::string path) const;
  PlanPtr WriteJson(std::string path) const;
  PlanPtr WriteIpc(std::string path) const;
  PlanPtr WriteParquet(std::string path) const;
  PlanPtr Print(int64_t max_rows = 100) const;
  PlanPtr Collect() const;
  PlanPtr Count() const;

  std::string Explain() const { return sabot::Explain(*node_); }
  const PlanPtr& node() const { return node_; }

 private:
  PlanPtr node_;
};

}  // namespace sabot
