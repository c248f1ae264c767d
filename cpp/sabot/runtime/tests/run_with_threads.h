// RunWith: a plan's result on a given number of threads, for tests that compare thread
// counts; and the int64 tables those tests build their plans over.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/plan/stream.h"
#include "sabot/runtime/run.h"

namespace sabot::testing {

//! A table `name` of int64 columns: row i of column c holds i % modulos[c], or i where
//! the modulo is 0 (keys, foreign keys and flags of the optimizer tests' tables).
inline Stream Int64Table(const std::string& name, const std::vector<std::string>& columns, int64_t rows,
                         const std::vector<int64_t>& modulos) {
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  arrow::FieldVector fields;
  for (size_t c = 0; c < columns.size(); ++c) {
    arrow::Int64Builder builder;
    for (int64_t i = 0; i < rows; ++i) EXPECT_TRUE(builder.Append(modulos[c] > 0 ? i % modulos[c] : i).ok());
    arrays.push_back(*builder.Finish());
    fields.push_back(arrow::field(columns[c], arrow::int64()));
  }
  return Stream::FromTable(arrow::Table::Make(arrow::schema(fields), arrays), name);
}

//! orders: o_key = i, o_flag = i % 100, for i < `rows`.
inline Stream OrdersTable(int64_t rows) { return Int64Table("orders", {"o_key", "o_flag"}, rows, {0, 100}); }

//! The orders of OrdersTable(rows) with o_flag = 7: one in 100, a selective build side.
inline Stream FlaggedOrders(int64_t rows) { return OrdersTable(rows).Filter(col("o_flag") == lit(int64_t{7})); }

//! The plan's collected rows as one-chunk columns, run on `threads` worker threads.
inline Result<std::shared_ptr<arrow::Table>> RunWith(const PlanPtr& plan, int threads) {
  RunOptions options;
  options.threads = threads;
  ARROW_ASSIGN_OR_RAISE(auto result, RunPlan(*plan, options));
  ARROW_ASSIGN_OR_RAISE(auto table, result.ToTable());
  return table->CombineChunks();
}

//! Expects the plan's result on 2 and on 8 threads to equal its result on one thread
//! exactly (same rows in the same order), which has at least `min_rows` rows.
inline void ExpectSameAsOneThread(const PlanPtr& plan, int64_t min_rows) {
  auto one = RunWith(plan, 1);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_GE((*one)->num_rows(), min_rows);
  for (int threads : {2, 8}) {
    auto got = RunWith(plan, threads);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE((*got)->Equals(**one)) << threads << " threads";
  }
}

//! Every row of a table of int64 columns as text ("7|7|7|3|7"), sorted: join output
//! order is not part of the contract.
inline std::vector<std::string> SortedRows(const arrow::Table& table) {
  std::vector<std::string> rows(table.num_rows());
  for (int c = 0; c < table.num_columns(); ++c) {
    const auto& column = static_cast<const arrow::Int64Array&>(*table.column(c)->chunk(0));
    for (int64_t i = 0; i < table.num_rows(); ++i) rows[i] += (c > 0 ? "|" : "") + std::to_string(column.Value(i));
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

//! The optimized plan as ExplainPlan prints it ("" after a failed expectation).
inline std::string Explained(const PlanPtr& plan) {
  auto text = ExplainPlan(*plan);
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return text.ok() ? *text : "";
}

//! Expects the plan's rows (SortedRows) to be `want` (sorted), on one and on two threads.
inline void ExpectRows(const PlanPtr& plan, const std::vector<std::string>& want) {
  for (int threads : {1, 2}) {
    auto got = RunWith(plan, threads);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(SortedRows(**got), want) << threads << " threads";
  }
}

}  // namespace sabot::testing
