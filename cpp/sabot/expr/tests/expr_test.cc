// Expressions: building, printing, binding against schemas, evaluating, and errors.
#include <arrow/api.h>
#include <arrow/array/builder_binary.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sabot/expr/bind.h"
#include "sabot/expr/expr.h"
#include "sabot/expr/expr_json.h"

namespace sabot {
namespace {

std::shared_ptr<arrow::RecordBatch> SampleBatch() {
  arrow::Int64Builder a;
  EXPECT_TRUE(a.AppendValues({1, 2, 3, 4}).ok());
  EXPECT_TRUE(a.AppendNull().ok());
  arrow::DoubleBuilder b;
  EXPECT_TRUE(b.AppendValues({0.5, 1.5, 2.5, 3.5, 4.5}).ok());
  arrow::StringBuilder s;
  EXPECT_TRUE(s.AppendValues({"apple", "Banana", "cherry", "2024-03-05", ""}).ok());
  auto schema = arrow::schema({arrow::field("a", arrow::int64()), arrow::field("b", arrow::float64()),
                               arrow::field("s", arrow::utf8())});
  return arrow::RecordBatch::Make(schema, 5, {*a.Finish(), *b.Finish(), *s.Finish()});
}

std::shared_ptr<arrow::Array> Eval(const Expr& e) {
  auto batch = SampleBatch();
  auto bound = Bind(e, batch->schema());
  EXPECT_TRUE(bound.ok()) << bound.status().ToString();
  if (!bound.ok()) return nullptr;
  auto out = bound->Evaluate(*batch);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : nullptr;
}

std::shared_ptr<arrow::Array> ArrayFromJson(const std::shared_ptr<arrow::DataType>& type,
                                            const std::string& json) {
  return *arrow::json::ArrayFromJSONString(type, json);
}

#define EXPECT_ARRAY(actual, type, json)                                           \
  do {                                                                             \
    auto _a = (actual);                                                            \
    auto _e = ArrayFromJson(type, json);                                           \
    ASSERT_NE(_a, nullptr);                                                        \
    EXPECT_TRUE(_a->Equals(*_e)) << "got " << _a->ToString() << "\nwant " << _e->ToString(); \
  } while (false)

TEST(Expr, PrintsInfix) {
  Expr e = (col("a") + lit(int64_t{1})) > col("b") && !IsNull(col("s"));
  EXPECT_EQ(e.ToString(), "(((a + 1) > b) and (not is_null(s)))");
  EXPECT_EQ(Cast(col("a"), arrow::int32()).ToString(), "cast(a, to=int32)");
  EXPECT_EQ(e.ColumnRefs(), (std::vector<std::string>{"a", "b", "s"}));
}

TEST(Expr, ArithmeticAndComparison) {
  EXPECT_ARRAY(Eval(col("a") * lit(int64_t{10}) + lit(int64_t{1})), arrow::int64(), "[11, 21, 31, 41, null]");
  EXPECT_ARRAY(Eval(col("a") + col("b")), arrow::float64(), "[1.5, 3.5, 5.5, 7.5, null]");
  EXPECT_ARRAY(Eval(col("a") >= lit(int64_t{3})), arrow::boolean(), "[false, false, true, true, null]");
  EXPECT_ARRAY(Eval(-col("a")), arrow::int64(), "[-1, -2, -3, -4, null]");
}

TEST(Expr, KleeneLogicAndNullTests) {
  // null AND false is false; null OR true is true (SQL three-valued logic).
  EXPECT_ARRAY(Eval((col("a") > lit(int64_t{2})) && lit(false)), arrow::boolean(),
               "[false, false, false, false, false]");
  EXPECT_ARRAY(Eval((col("a") > lit(int64_t{2})) || lit(true)), arrow::boolean(),
               "[true, true, true, true, true]");
  EXPECT_ARRAY(Eval(IsNull(col("a"))), arrow::boolean(), "[false, false, false, false, true]");
  EXPECT_ARRAY(Eval(IsValid(col("a"))), arrow::boolean(), "[true, true, true, true, false]");
}

TEST(Expr, CastIfElseStrings) {
  EXPECT_ARRAY(Eval(Cast(col("a"), arrow::int32())), arrow::int32(), "[1, 2, 3, 4, null]");
  // A safe cast refuses to truncate 0.5; an unsafe one truncates.
  EXPECT_ARRAY(Eval(Expr::Call("cast", {col("b")}, {{"to", "int32"}, {"safe", "false"}})), arrow::int32(),
               "[0, 1, 2, 3, 4]");
  EXPECT_ARRAY(Eval(IfElse(col("a") > lit(int64_t{2}), lit("big"), col("s"))), arrow::utf8(),
               R"(["apple", "Banana", "big", "big", null])");
  EXPECT_ARRAY(Eval(Expr::Call("utf8_upper", {col("s")})), arrow::utf8(),
               R"(["APPLE", "BANANA", "CHERRY", "2024-03-05", ""])");
  EXPECT_ARRAY(Eval(Expr::Call("starts_with", {col("s")}, {{"pattern", "b"}, {"ignore_case", "true"}})),
               arrow::boolean(), "[false, true, false, false, false]");
  EXPECT_ARRAY(Eval(Expr::Call("utf8_length", {col("s")})), arrow::int32(), "[5, 6, 6, 10, 0]");
}

TEST(Expr, Timestamps) {
  // Only row 3 parses; the others are errors unless error_is_null is set.
  auto batch = SampleBatch();
  auto strict = Bind(StrPTime(col("s"), "%Y-%m-%d", "us"), batch->schema());
  ASSERT_TRUE(strict.ok()) << strict.status().ToString();
  auto parsed = strict->Evaluate(*batch);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("'apple'"), std::string::npos) << parsed.status().message();
  Expr lenient = Expr::Call("strptime", {col("s")},
                            {{"format", "%Y-%m-%d"}, {"unit", "us"}, {"error_is_null", "true"}});
  auto years = Eval(Expr::Call("year", {lenient}));
  EXPECT_ARRAY(years, arrow::int64(), "[null, null, null, 2024, null]");
}

TEST(Expr, ConstantIsBroadcast) {
  EXPECT_ARRAY(Eval(lit(int64_t{7})), arrow::int64(), "[7, 7, 7, 7, 7]");
}

TEST(ExprErrors, UnknownColumnListsColumns) {
  auto batch = SampleBatch();
  auto bound = Bind(col("price") > lit(int64_t{1}), batch->schema());
  ASSERT_FALSE(bound.ok());
  EXPECT_EQ(bound.status().message(), "column 'price' does not exist; the columns are: a, b, s");
}

TEST(ExprErrors, TypeMismatchNamesExpression) {
  auto batch = SampleBatch();
  auto bound = Bind(col("a") + col("s"), batch->schema());
  ASSERT_FALSE(bound.ok());
  EXPECT_TRUE(bound.status().IsTypeError());
  EXPECT_NE(bound.status().message().find("type mismatch in expression `(a + s)`"), std::string::npos)
      << bound.status().message();
  EXPECT_NE(bound.status().message().find("int64, string"), std::string::npos) << bound.status().message();
  // The innermost call that fails, with its operands' types as written: Arrow's message
  // would name the literal 5 as int8, the type it narrows it to.
  auto nested = Bind((col("s") + lit(int64_t{5})) > lit(int64_t{1}), batch->schema());
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().message(),
            "type mismatch in expression `((s + 5) > 1)`: function 'add_checked' has no kernel matching input types "
            "(string, int64), the types of `s`, `5`");
}

TEST(ExprErrors, UnknownFunctionAndBadOptions) {
  auto schema = SampleBatch()->schema();
  auto f = Bind(Expr::Call("no_such_fn", {col("a")}), schema);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(), "unknown function 'no_such_fn'");
  auto o = Bind(Expr::Call("cast", {col("a")}, {{"too", "int32"}}), schema);
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("has no option 'too'"), std::string::npos);
  auto t = Bind(Cast(col("a"), arrow::int32()), schema);
  EXPECT_TRUE(t.ok());
  auto bad_type = Bind(Expr::Call("cast", {col("a")}, {{"to", "int33"}}), schema);
  ASSERT_FALSE(bad_type.ok());
  EXPECT_NE(bad_type.status().message().find("unknown type 'int33'"), std::string::npos);
}

// IN lists: value_set is JSON text; the set is cast to the input's type.
TEST(ExprFunctions, IsInWithAValueSet) {
  auto in = [](Expr e, std::string set) { return Eval(Expr::Call("is_in", {std::move(e)}, {{"value_set", set}})); };
  EXPECT_TRUE(in(col("a"), "[2, 4, 7]")->Equals(*ArrayFromJson(arrow::boolean(), "[false, true, false, true, false]")));
  EXPECT_TRUE(in(col("b"), "[1.5, 4]")->Equals(*ArrayFromJson(arrow::boolean(), "[false, true, false, false, false]")));
  EXPECT_TRUE(in(col("s"), R"(["cherry", "", null])")
                  ->Equals(*ArrayFromJson(arrow::boolean(), "[false, false, true, false, true]")));
  // A null input matches a null in the set unless skip_nulls.
  EXPECT_TRUE(in(col("a"), "[1, null]")->Equals(*ArrayFromJson(arrow::boolean(), "[true, false, false, false, true]")));
  auto skipped = Eval(Expr::Call("is_in", {col("a")}, {{"value_set", "[1, null]"}, {"skip_nulls", "true"}}));
  EXPECT_TRUE(skipped->Equals(*ArrayFromJson(arrow::boolean(), "[true, false, false, false, false]")));
  // null_matching picks any of Arrow's behaviours; inconclusive is SQL's IN.
  auto nulls = [](const char* behaviour) {
    return Eval(Expr::Call("is_in", {col("a")}, {{"value_set", "[1, null]"}, {"null_matching", behaviour}}));
  };
  EXPECT_TRUE(nulls("inconclusive")->Equals(*ArrayFromJson(arrow::boolean(), "[true, null, null, null, null]")));
  EXPECT_TRUE(nulls("emit_null")->Equals(*ArrayFromJson(arrow::boolean(), "[true, false, false, false, null]")));
  EXPECT_TRUE(nulls("match")->Equals(*ArrayFromJson(arrow::boolean(), "[true, false, false, false, true]")));
  auto schema = SampleBatch()->schema();
  for (const char* bad : {"MAIL", "[1, \"x\"]", "[[1]]"}) {
    auto b = Bind(Expr::Call("is_in", {col("a")}, {{"value_set", bad}}), schema);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_NE(b.status().message().find("option 'value_set' must be a JSON array"), std::string::npos)
        << b.status().message();
  }
  auto unknown = Bind(Expr::Call("is_in", {col("a")}, {{"value_set", "[1]"}, {"null_matching", "sql"}}), schema);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("must be match, skip, emit_null or inconclusive, found 'sql'"),
            std::string::npos)
      << unknown.status().message();
  auto both = Bind(Expr::Call("is_in", {col("a")},
                              {{"value_set", "[1]"}, {"null_matching", "skip"}, {"skip_nulls", "true"}}),
                   schema);
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("takes option 'null_matching' or 'skip_nulls', not both"),
            std::string::npos);
  auto missing = Bind(Expr::Call("is_in", {col("a")}), schema);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("needs option 'value_set'"), std::string::npos);
}

TEST(ExprErrors, RuntimeErrorNamesExpression) {
  auto batch = SampleBatch();
  auto bound = Bind(col("a") * lit(std::numeric_limits<int64_t>::max()), batch->schema());
  ASSERT_TRUE(bound.ok());
  auto out = bound->Evaluate(*batch);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("overflow"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("(a * 9223372036854775807)"), std::string::npos);
}

// Float +, -, * and negation run as Arrow's unchecked kernels (same values, vectorized);
// integer arithmetic stays checked, and so does division (it fails on a zero divisor).
TEST(Expr, FloatArithmeticRunsUncheckedIntegerStaysChecked) {
  auto batch = SampleBatch();
  auto bound_text = [&](const Expr& e) {
    auto bound = Bind(e, batch->schema());
    EXPECT_TRUE(bound.ok()) << bound.status().ToString();
    return bound.ok() ? bound->arrow_expr().ToString() : std::string();
  };
  EXPECT_EQ(bound_text(col("b") * (lit(1.0) - col("b"))), "multiply(b, subtract(1, b))");
  EXPECT_EQ(bound_text(col("a") + col("b")).rfind("add(cast(a", 0), 0u);  // the int column cast to double first
  EXPECT_EQ(bound_text(-col("b")), "negate(b)");
  EXPECT_EQ(bound_text(col("a") * lit(int64_t{2})), "multiply_checked(a, 2)");
  EXPECT_EQ(bound_text(col("b") / col("b")), "divide_checked(b, b)");
  EXPECT_ARRAY(Eval(col("b") * (lit(1.0) - col("b")) + -col("b")), arrow::float64(),
               "[-0.25, -2.25, -6.25, -12.25, -20.25]");
  EXPECT_ARRAY(Eval(col("a") + col("b")), arrow::float64(), "[1.5, 3.5, 5.5, 7.5, null]");
}

// `e` bound to `batch`'s schema and evaluated over it; null (and a failure) on an error.
std::shared_ptr<arrow::Array> EvalOn(const Expr& e, const arrow::RecordBatch& batch) {
  auto bound = Bind(e, batch.schema());
  EXPECT_TRUE(bound.ok()) << e.ToString() << ": " << bound.status().ToString();
  if (!bound.ok()) return nullptr;
  auto out = bound->Evaluate(batch);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : nullptr;
}

// Integer literals beside a decimal column compare and compute as decimals of their own
// digits: `price > 100` bound before as an int64 that needed 19 digits plus the scale.
TEST(Expr, IntegerLiteralsBesideDecimalsBind) {
  for (const auto& type : {arrow::decimal128(15, 2), arrow::decimal64(12, 2), arrow::decimal256(40, 2)}) {
    SCOPED_TRACE(type->ToString());
    auto schema = arrow::schema({arrow::field("p", type)});
    auto batch = arrow::RecordBatch::Make(schema, 3, {ArrayFromJson(type, R"(["1.50", "-2.25", null])")});
    auto eval = [&](const Expr& e) { return EvalOn(e, *batch); };
    EXPECT_ARRAY(eval(col("p") > lit(int64_t{1})), arrow::boolean(), "[true, false, null]");
    EXPECT_ARRAY(eval(lit(int64_t{-3}) <= col("p")), arrow::boolean(), "[true, true, null]");
    EXPECT_ARRAY(eval(col("p") == lit(int32_t{150})), arrow::boolean(), "[false, false, null]");
    auto times = eval(col("p") * lit(int64_t{1000000}));
    ASSERT_NE(times, nullptr);
    EXPECT_TRUE(arrow::is_decimal(times->type_id()));
    EXPECT_EQ(times->ToString(), ArrayFromJson(times->type(), R"(["1500000.00", "-2250000.00", null])")->ToString());
    auto minus = eval(col("p") - lit(int64_t{5}));
    ASSERT_NE(minus, nullptr);
    EXPECT_EQ(minus->ToString(), ArrayFromJson(minus->type(), R"(["-3.50", "-7.25", null])")->ToString());
  }
}

// A string literal compared with a date or timestamp reads as that type, as in SQL; text
// that does not parse is an error naming it.
TEST(Expr, StringLiteralsComparedWithDatesAndTimestamps) {
  auto schema = arrow::schema({arrow::field("d", arrow::date32()),
                               arrow::field("t", arrow::timestamp(arrow::TimeUnit::MICRO))});
  auto batch = arrow::RecordBatch::Make(
      schema, 3,
      {ArrayFromJson(arrow::date32(), "[10000, 10500, null]"),
       ArrayFromJson(arrow::timestamp(arrow::TimeUnit::MICRO), "[0, 86400000000, null]")});
  auto eval = [&](const Expr& e) { return EvalOn(e, *batch); };
  // Day 10000 is 1997-05-19, day 10500 is 1998-09-01.
  EXPECT_ARRAY(eval(col("d") >= lit("1998-01-01")), arrow::boolean(), "[false, true, null]");
  EXPECT_ARRAY(eval(lit("1997-05-19") == col("d")), arrow::boolean(), "[true, false, null]");
  EXPECT_ARRAY(eval(col("t") < lit("1970-01-01 12:00:00")), arrow::boolean(), "[true, false, null]");
  // Beside a timestamp with a zone, text without an offset is a wall-clock time there.
  auto zoned_schema = arrow::schema({arrow::field("u", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")),
                                     arrow::field("z", arrow::timestamp(arrow::TimeUnit::SECOND, "+02:00"))});
  auto zoned = arrow::RecordBatch::Make(
      zoned_schema, 2,
      {ArrayFromJson(zoned_schema->field(0)->type(), "[43200000000, 43200000001]"),
       ArrayFromJson(zoned_schema->field(1)->type(), "[36000, 36001]")});  // 12:00 UTC; 12:00 at +02:00
  EXPECT_ARRAY(EvalOn(col("u") > lit("1970-01-01 12:00:00"), *zoned), arrow::boolean(), "[false, true]");
  EXPECT_ARRAY(EvalOn(col("u") == lit("1970-01-01 12:00:00+00:00"), *zoned), arrow::boolean(), "[true, false]");
  EXPECT_ARRAY(EvalOn(col("z") == lit("1970-01-01 12:00:00"), *zoned), arrow::boolean(), "[true, false]");
  auto zoned_bad = Bind(col("u") > lit("noon"), zoned_schema);
  ASSERT_FALSE(zoned_bad.ok());
  EXPECT_NE(zoned_bad.status().message().find("cannot read literal 'noon' as timestamp[us, tz=UTC]"), std::string::npos)
      << zoned_bad.status().ToString();
  auto bad = Bind(col("d") > lit("1998-13-01"), schema);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cannot read literal '1998-13-01' as date32"), std::string::npos)
      << bad.status().ToString();
}

// An IN list of text beside a date, timestamp or decimal column reads as its type, as a
// comparison's text does (Arrow casts no text set to a timestamp or a decimal).
TEST(ExprFunctions, IsInReadsTextAsTheInputsType) {
  auto schema = arrow::schema({arrow::field("d", arrow::date32()),
                               arrow::field("t", arrow::timestamp(arrow::TimeUnit::SECOND, "+02:00")),
                               arrow::field("p", arrow::decimal128(6, 2))});
  auto batch = arrow::RecordBatch::Make(schema, 3,
                                        {ArrayFromJson(arrow::date32(), "[10000, 10001, null]"),
                                         ArrayFromJson(schema->field(1)->type(), "[36000, 36001, null]"),
                                         ArrayFromJson(arrow::decimal128(6, 2), R"(["1.50", "2.25", null])")});
  auto in = [&](const char* column, const char* set) {
    return EvalOn(Expr::Call("is_in", {col(column)}, {{"value_set", set}, {"null_matching", "inconclusive"}}), *batch);
  };
  EXPECT_ARRAY(in("d", R"(["1997-05-20", null])"), arrow::boolean(), "[null, true, null]");
  EXPECT_ARRAY(in("t", R"(["1970-01-01 12:00:00"])"), arrow::boolean(), "[true, false, null]");  // 12:00 at +02:00
  EXPECT_ARRAY(in("p", R"(["2.25", "7"])"), arrow::boolean(), "[false, true, null]");
  auto bad = Bind(Expr::Call("is_in", {col("p")}, {{"value_set", R"(["2.255"])"}}), schema);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cannot read literal '2.255' as decimal128(6, 2)"), std::string::npos)
      << bad.status().ToString();
}

// Text without an offset is a wall-clock time in a zoned type's zone; with one, that
// instant; the text form a plan file keeps (UTC with "Z") reads back the same.
TEST(ParseLiteral, ZonedTimestampTextIsAWallClockTimeInTheZone) {
  const auto new_york = arrow::timestamp(arrow::TimeUnit::MICRO, "America/New_York");
  auto micros = [&](const std::string& text) -> int64_t {
    auto scalar = ParseLiteral(new_york, text);
    EXPECT_TRUE(scalar.ok()) << scalar.status().ToString();
    return scalar.ok() ? static_cast<const arrow::TimestampScalar&>(**scalar).value : -1;
  };
  const int64_t five_pm_utc = 1719853200000000;  // 2024-07-01 17:00:00 UTC, 13:00 in New York
  EXPECT_EQ(micros("2024-07-01 13:00:00"), five_pm_utc);
  EXPECT_EQ(micros("2024-07-01 17:00:00Z"), five_pm_utc);
  EXPECT_EQ(micros("2024-07-01 13:00:00-04:00"), five_pm_utc);
  EXPECT_EQ(micros((*ParseLiteral(new_york, "2024-07-01 13:00:00"))->ToString()), five_pm_utc);
  EXPECT_EQ(micros("2024-01-15 13:00:00"), 1705341600000000);  // winter: -05:00
  const auto utc = ParseLiteral(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"), "2024-07-01 17:00:00");
  ASSERT_TRUE(utc.ok());
  EXPECT_EQ(static_cast<const arrow::TimestampScalar&>(**utc).value, five_pm_utc);
  auto skipped = ParseLiteral(new_york, "2024-03-10 02:30:00");  // clocks go from 02:00 to 03:00
  ASSERT_FALSE(skipped.ok());
  EXPECT_NE(skipped.status().message().find("cannot read literal '2024-03-10 02:30:00' as timestamp[us, "
                                            "tz=America/New_York]"),
            std::string::npos)
      << skipped.status().ToString();
}

TEST(ParseLiteral, DecimalsTakeTheTypesScaleExactly) {
  auto value = [](const std::shared_ptr<arrow::DataType>& type, const std::string& text) {
    auto scalar = ParseLiteral(type, text);
    return scalar.ok() ? (*scalar)->ToString() : scalar.status().message();
  };
  EXPECT_EQ(value(arrow::decimal128(10, 2), "1.5"), "1.50");
  EXPECT_EQ(value(arrow::decimal128(10, 2), "-7"), "-7.00");
  EXPECT_EQ(value(arrow::decimal128(10, 2), "1.500"), "1.50");  // only zeros dropped
  EXPECT_EQ(value(arrow::decimal128(10, 2), "1e2"), "100.00");
  EXPECT_EQ(value(arrow::decimal32(4, 1), "-999.9"), "-999.9");
  EXPECT_EQ(value(arrow::decimal64(18, 6), "0.000001"), "0.000001");
  EXPECT_EQ(value(arrow::decimal256(60, 0), std::string(60, '9')), std::string(60, '9'));
  EXPECT_EQ(value(arrow::decimal128(10, 2), "1.005"),
            "cannot read literal '1.005' as decimal128(10, 2): it has 3 digits after the point, the type 2");
  EXPECT_EQ(value(arrow::decimal32(4, 1), "1000.0"),
            "cannot read literal '1000.0' as decimal32(4, 1): it needs more than the type's 4 digits");
  EXPECT_NE(value(arrow::decimal128(5, 2), "1.2.3").find("cannot read literal '1.2.3' as decimal128(5, 2)"),
            std::string::npos);
  // Other types as Arrow reads them.
  EXPECT_EQ(value(arrow::int32(), "42"), "42");
  EXPECT_NE(value(arrow::int32(), "4x").find("cannot read literal '4x' as int32"), std::string::npos);
}

TEST(ExprJson, RoundTrip) {
  std::vector<Expr> exprs = {
      (col("a") + lit(int64_t{1})) > col("b") && !IsNull(col("s")),
      Cast(col("b"), arrow::decimal128(12, 2)),
      IfElse(col("a") == NullLiteral(arrow::int64()), lit(2.5), lit(-1.0)),
      StrPTime(col("s"), "%Y-%m-%d"),
      Expr::Literal(*arrow::Scalar::Parse(arrow::timestamp(arrow::TimeUnit::MICRO), "2024-01-02 03:04:05")),
      Expr::Literal(*arrow::Scalar::Parse(arrow::date32(), "2024-01-02")),
      lit("quote \" and \\ backslash"),
      lit(std::numeric_limits<double>::infinity()),
      // Decimals, which Arrow's Scalar::Parse cannot read back (ParseLiteral does).
      col("p") > Expr::Literal(*ParseLiteral(arrow::decimal128(12, 2), "-1234.5")),
      Expr::Literal(*ParseLiteral(arrow::decimal32(5, 3), "0.125")),
      Expr::Literal(*ParseLiteral(arrow::decimal64(18, 0), "7")),
      Expr::Literal(*ParseLiteral(arrow::decimal256(50, 4), "123456789012345678901234567890123456789012.5")),
  };
  for (const auto& e : exprs) {
    auto j = ExprToJson(e);
    auto text = j.dump();
    auto back = ExprFromJson(nlohmann::json::parse(text), "expr");
    ASSERT_TRUE(back.ok()) << text << ": " << back.status().ToString();
    EXPECT_TRUE(back->Equals(e)) << text << " came back as " << back->ToString();
  }
}

TEST(ExprJson, ErrorsNameThePlace) {
  auto bad = ExprFromJson(nlohmann::json::parse(R"({"call": "add", "args": [{"col": 1}]})"), "plan.predicate");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "plan.predicate.args[0].col: expected a column name");
  auto lit_bad = ExprFromJson(nlohmann::json::parse(R"({"lit": "abc", "type": "int64"})"), "e");
  ASSERT_FALSE(lit_bad.ok());
  EXPECT_NE(lit_bad.status().message().find("cannot read literal 'abc' as int64"), std::string::npos);
}

}  // namespace
}  // namespace sabot
