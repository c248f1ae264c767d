// Row count estimates for the cost-based rules: source sizes from what the runtime read
// (Parquet footers, in-memory tables) and fixed guesses for what filters and joins keep.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/plan/column_stats.h"
#include "sabot/plan/plan_node.h"

namespace sabot {

//! What the cost-based rules know about a plan before it runs. Gathered by the runtime
//! (GatherPlanFacts), which can open sources; the plan layer cannot.
struct PlanFacts {
  //! The output schema of every node of the plan as written (before any rewrite).
  std::map<const PlanNode*, std::shared_ptr<arrow::Schema>> schemas;
  //! Rows of each file source whose count its metadata holds, by path.
  std::map<std::string, int64_t> file_rows;
  //! The columns each source node reads natively as another type (Source::NativeReadTypes).
  std::map<const PlanNode*, std::vector<std::shared_ptr<arrow::Field>>> read_types;
  //! By path, then column: what a file's metadata tells of its columns.
  std::map<std::string, std::map<std::string, ColumnStats>> column_stats;
};

//! What column `name` of a filter's input is known to hold; null when nothing is known.
using ColumnStatsOf = std::function<const ColumnStats*(const std::string& name)>;

//! Estimates how many rows nodes produce. Unknown (nullopt) where a source's size is
//! unknown (CSV, unbounded) below it. Memoized per node.
class CardinalityEstimator {
 public:
  explicit CardinalityEstimator(const PlanFacts& facts) : facts_(facts) {}
  std::optional<double> Rows(const PlanNode& node);
  //! The largest source row count under `node`: what its rows were drawn from, which
  //! tells how selective a filtered dimension is (Rows / BaseRows).
  std::optional<double> BaseRows(const PlanNode& node);

 private:
  std::optional<double> Compute(const PlanNode& node);
  std::optional<double> SourceRows(const SourceSpec& spec) const;
  //! What facts know of column `name` of `node`'s output, when `node` passes a file
  //! source's column through unchanged (filters, with_columns that leave it, projections
  //! that only name it); null otherwise.
  const ColumnStats* ColumnStatsOf(const PlanNode& node, const std::string& name) const;

  const PlanFacts& facts_;
  std::map<const PlanNode*, std::optional<double>> rows_, base_;
};

//! A guess of the fraction of rows `predicate` keeps: 0.1 per equality, 0.25 per IN
//! list, 0.33 per range bound, for a string pattern match (LIKE, substring, prefix,
//! suffix, regex) 0.5 per fixed character of the pattern (at least 0.001; its negation
//! the rest), 0.5 for anything else, multiplied over the conjuncts. Where `stats` knows
//! a column's distinct values (n), a column equal to a literal keeps 1/n, not equal
//! 1 - 1/n, and in a set of k literals k/n (at most all); where it knows a column's range,
//! the range tests of the conjuncts on that column together keep the part of the range
//! they leave (values taken as spread evenly; at least 0.001).
double FilterSelectivity(const Expr& predicate, const ColumnStatsOf& stats = {});

}  // namespace sabot
