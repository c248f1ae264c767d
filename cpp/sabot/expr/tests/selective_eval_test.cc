// Selective evaluation of if_else and coalesce: branches see only their rows (so errors
// in the other rows are never raised), nulls select no branch, and the results equal
// Arrow's evaluation of every branch over every row wherever that one succeeds.
#include <limits>
#include <random>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include "sabot/expr/bind.h"
#include "sabot/expr/expr.h"
#include "sabot/expr/selective_eval.h"

namespace sabot {
namespace {

namespace cp = arrow::compute;

std::shared_ptr<arrow::RecordBatch> SampleBatch() {
  auto schema = arrow::schema({arrow::field("a", arrow::int64()), arrow::field("s", arrow::utf8())});
  auto a = *arrow::json::ArrayFromJSONString(arrow::int64(), "[1, 2, 3, 4, null]");
  auto s = *arrow::json::ArrayFromJSONString(arrow::utf8(), R"(["apple", "2024-03-05", "cherry", "2025-01-02", ""])");
  return arrow::RecordBatch::Make(schema, 5, {a, s});
}

//! The expression's result; and, as `all_rows_error`, whether evaluating every branch
//! over every row (Arrow's way) fails, which is what makes a case meaningful.
std::shared_ptr<arrow::Array> Eval(const Expr& e, const std::shared_ptr<arrow::RecordBatch>& batch,
                                   bool* all_rows_error = nullptr) {
  auto bound = Bind(e, batch->schema());
  EXPECT_TRUE(bound.ok()) << bound.status().ToString();
  if (!bound.ok()) return nullptr;
  if (all_rows_error != nullptr) {
    *all_rows_error = !cp::ExecuteScalarExpression(bound->arrow_expr(), cp::ExecBatch(*batch)).ok();
  }
  auto out = bound->Evaluate(*batch);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : nullptr;
}

#define EXPECT_ARRAY(actual, type, text)                                                            \
  do {                                                                                              \
    auto _a = (actual);                                                                             \
    auto _e = *arrow::json::ArrayFromJSONString(type, text);                                        \
    ASSERT_NE(_a, nullptr);                                                                         \
    EXPECT_TRUE(_a->Equals(*_e)) << "got " << _a->ToString() << "\nwant " << _e->ToString();       \
  } while (false)

TEST(SelectiveEval, IfElseBranchesSeeOnlyTheirRows) {
  // 100 / (a - 2) fails on a = 2, the row the then-branch serves; a null condition
  // (a is null) selects neither branch and gives null.
  bool all_rows_error = false;
  auto got = Eval(IfElse(col("a") == lit(int64_t{2}), lit(int64_t{0}), lit(int64_t{100}) / (col("a") - lit(int64_t{2}))),
                  SampleBatch(), &all_rows_error);
  EXPECT_TRUE(all_rows_error) << "the case must fail when every row is evaluated";
  EXPECT_ARRAY(got, arrow::int64(), "[-100, 0, 100, 50, null]");
}

TEST(SelectiveEval, ThenBranchErrorsOnlyWhereSelected) {
  // A strict strptime fails on "apple": the then-branch parses only the dates.
  auto is_date = Expr::Call("match_substring_regex", {col("s")}, {{"pattern", "^[0-9]{4}-"}});
  bool all_rows_error = false;
  auto got = Eval(IfElse(is_date, Expr::Call("year", {StrPTime(col("s"), "%Y-%m-%d", "us")}), lit(int64_t{-1})),
                  SampleBatch(), &all_rows_error);
  EXPECT_TRUE(all_rows_error);
  EXPECT_ARRAY(got, arrow::int64(), "[-1, 2024, -1, 2025, -1]");

  // Still an error where a selected row fails, naming the expression.
  auto batch = SampleBatch();
  auto bound = Bind(IfElse(col("a") >= lit(int64_t{2}), StrPTime(col("s"), "%Y-%m-%d", "us"),
                           NullLiteral(arrow::timestamp(arrow::TimeUnit::MICRO))),
                    batch->schema());
  ASSERT_TRUE(bound.ok()) << bound.status().ToString();
  auto failed = bound->Evaluate(*batch);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("'cherry'"), std::string::npos) << failed.status().ToString();
  EXPECT_NE(failed.status().message().find("strptime"), std::string::npos) << failed.status().ToString();
}

TEST(SelectiveEval, CoalesceFallbackOnlyWhereNull) {
  // 100 / (a - 1) fails on a = 1, where a itself is the answer.
  bool all_rows_error = false;
  auto got = Eval(Expr::Call("coalesce", {col("a"), lit(int64_t{100}) / (col("a") - lit(int64_t{1}))}), SampleBatch(),
                  &all_rows_error);
  EXPECT_TRUE(all_rows_error);
  EXPECT_ARRAY(got, arrow::int64(), "[1, 2, 3, 4, null]");

  // Several fallbacks, each over the rows still null: a's null row and row 3 (a = 3
  // made null) take the length of s times 100, chained through a third argument.
  auto first = IfElse(col("a") == lit(int64_t{3}), NullLiteral(arrow::int64()), col("a"));
  auto second = IfElse(col("s") == lit("cherry"), Cast(Expr::Call("utf8_length", {col("s")}), arrow::int64()) * lit(int64_t{100}),
                       NullLiteral(arrow::int64()));
  EXPECT_ARRAY(Eval(Expr::Call("coalesce", {first, second, lit(int64_t{-7})}), SampleBatch()), arrow::int64(),
               "[1, 2, 600, 4, -7]");
}

TEST(SelectiveEval, ConstantAndUniformConditions) {
  auto batch = SampleBatch();
  auto len = Cast(Expr::Call("utf8_length", {col("s")}), arrow::int64());
  EXPECT_ARRAY(Eval(IfElse(lit(true), len, lit(int64_t{0})), batch), arrow::int64(), "[5, 10, 6, 10, 0]");
  EXPECT_ARRAY(Eval(IfElse(NullLiteral(arrow::boolean()), len, lit(int64_t{0})), batch), arrow::int64(),
               "[null, null, null, null, null]");
  // Every row true / every row false: one branch over the whole batch.
  EXPECT_ARRAY(Eval(IfElse(IsValid(col("s")), len, lit(int64_t{0}) / lit(int64_t{0})), batch), arrow::int64(),
               "[5, 10, 6, 10, 0]");
  EXPECT_ARRAY(Eval(IfElse(IsNull(col("s")), lit(int64_t{0}) / lit(int64_t{0}), len), batch), arrow::int64(),
               "[5, 10, 6, 10, 0]");
}

TEST(SelectiveEval, StringBranchesAndNesting) {
  // q14's shape: nested if_else over strings, with computed branches.
  auto upper = Expr::Call("utf8_upper", {col("s")});
  auto e = IfElse(col("a") <= lit(int64_t{2}), upper,
                  IfElse(col("a") == lit(int64_t{3}), Expr::Call("utf8_reverse", {col("s")}), lit("other")));
  EXPECT_ARRAY(Eval(e, SampleBatch()), arrow::utf8(), R"(["APPLE", "2024-03-05", "yrrehc", "other", null])");
  // Under another call: the conditional inside still evaluates selectively.
  EXPECT_ARRAY(Eval(Expr::Call("utf8_length", {e}), SampleBatch()), arrow::int32(), "[5, 10, 6, 5, null]");
}

TEST(SelectiveEval, MatchesArrowOnRandomRows) {
  // Where evaluating every row succeeds, both ways agree (nulls included).
  std::mt19937_64 rng(7);
  arrow::Int64Builder a;
  arrow::StringBuilder s;
  for (int i = 0; i < 5000; ++i) {
    if (rng() % 7 == 0) {
      ASSERT_TRUE(a.AppendNull().ok());
    } else {
      ASSERT_TRUE(a.Append(static_cast<int64_t>(rng() % 1000)).ok());
    }
    ASSERT_TRUE(s.Append("x" + std::to_string(rng() % 50)).ok());
  }
  auto schema = arrow::schema({arrow::field("a", arrow::int64()), arrow::field("s", arrow::utf8())});
  auto batch = arrow::RecordBatch::Make(schema, 5000, {*a.Finish(), *s.Finish()});
  auto mod = [](Expr x, int64_t m) { return Expr::Call("modulo", {std::move(x), lit(m)}); };
  const std::vector<Expr> cases = {
      IfElse(mod(col("a"), 3) == lit(int64_t{0}), col("a") * lit(int64_t{2}),
             IfElse(mod(col("a"), 3) == lit(int64_t{1}), col("a") + lit(int64_t{100}), col("a") - lit(int64_t{5}))),
      Expr::Call("coalesce", {IfElse(col("a") > lit(int64_t{500}), col("a"), NullLiteral(arrow::int64())),
                              Cast(Expr::Call("utf8_length", {col("s")}), arrow::int64())}),
      Expr::Call("binary_join_element_wise",
                 {IfElse(col("a") < lit(int64_t{100}), Expr::Call("utf8_upper", {col("s")}), col("s")), lit("-"),
                  lit("")}),
  };
  for (const auto& e : cases) {
    auto bound = Bind(e, schema);
    ASSERT_TRUE(bound.ok()) << bound.status().ToString();
    auto want = cp::ExecuteScalarExpression(bound->arrow_expr(), cp::ExecBatch(*batch));
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    auto got = bound->Evaluate(*batch);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE((*got)->Equals(*want->make_array())) << e.ToString();
  }
}

TEST(SelectiveEval, OnlyConditionalsWithComputedBranchesAreSelective) {
  auto schema = SampleBatch()->schema();
  auto plain = Bind(IfElse(col("a") > lit(int64_t{1}), lit("x"), col("s")), schema);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(HasSelectiveConditional(plain->arrow_expr()));
  auto computed = Bind(IfElse(col("a") > lit(int64_t{1}), Expr::Call("utf8_upper", {col("s")}), col("s")), schema);
  ASSERT_TRUE(computed.ok());
  EXPECT_TRUE(HasSelectiveConditional(computed->arrow_expr()));
}

}  // namespace
}  // namespace sabot
