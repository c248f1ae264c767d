// UdfFunction: native kernels (C functions over column buffers) and host kernels as
// expressions; null propagation, strings, booleans, errors, concurrent binds and calls.
#include <atomic>
#include <thread>

#include <arrow/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include "sabot/expr/bind.h"
#include "sabot/expr/udf_function.h"

namespace sabot {
namespace {

std::shared_ptr<arrow::Array> FromJson(const std::shared_ptr<arrow::DataType>& type, const std::string& json) {
  return *arrow::json::ArrayFromJSONString(type, json);
}

// out = a / b over doubles; b == 0 is an error at that row (as a compiled UDF reports one).
int64_t SafeDivide(int64_t n, void* const* buffers, int64_t* params) {
  const auto* a = static_cast<const double*>(buffers[1]);
  const auto* b = static_cast<const double*>(buffers[4]);
  const auto* skip = static_cast<const uint8_t*>(buffers[6]);
  auto* out = static_cast<double*>(buffers[7]);
  for (int64_t i = 0; i < n; ++i) {
    if (params[3] != 0 && skip[i] == 0) continue;
    if (b[i] == 0) {
      params[0] = i;
      return 1;
    }
    out[i] = a[i] / b[i];
  }
  return 0;
}

// Length in bytes of a utf8 value.
int64_t ByteLength(int64_t n, void* const* buffers, int64_t* params) {
  const auto* offsets = static_cast<const int32_t*>(buffers[2]);
  auto* out = static_cast<int64_t*>(buffers[4]);
  for (int64_t i = 0; i < n; ++i) out[i] = offsets[i + 1] - offsets[i];
  return 0;
}

// Handles nulls itself: null -> true, else the value negated.
int64_t NotOrTrue(int64_t n, void* const* buffers, int64_t* params) {
  const auto* valid = static_cast<const uint8_t*>(buffers[0]);
  const auto* in = static_cast<const uint8_t*>(buffers[1]);
  auto* out_valid = static_cast<uint8_t*>(buffers[3]);
  auto* out = static_cast<uint8_t*>(buffers[4]);
  for (int64_t i = 0; i < n; ++i) {
    const bool is_valid = params[1] == 0 || valid[i] != 0;
    out[i] = is_valid ? !in[i] : 1;
    out_valid[i] = 1;
  }
  return 0;
}

void RegisterOnce(const std::string& name, int arity, UdfSpecializer specializer) {
  if (!IsRegisteredUdf(name)) ASSERT_TRUE(RegisterUdf(name, arity, std::move(specializer)).ok());
}

Result<std::shared_ptr<arrow::Array>> Evaluate(const Expr& e, const std::shared_ptr<arrow::RecordBatch>& batch) {
  ARROW_ASSIGN_OR_RAISE(auto bound, Bind(e, batch->schema()));
  return bound.Evaluate(*batch);
}

std::shared_ptr<arrow::RecordBatch> Numbers() {
  auto schema = arrow::schema({arrow::field("a", arrow::float64()), arrow::field("b", arrow::float64())});
  return arrow::RecordBatch::Make(schema, 4,
                                  {FromJson(arrow::float64(), "[1, 2, null, 9]"),
                                   FromJson(arrow::float64(), "[2, null, 1, 3]")});
}

void RegisterDivide() {
  RegisterOnce("test_udf_divide", 2, [](const std::vector<std::shared_ptr<arrow::DataType>>& types)
                                         -> Result<UdfKernelSpec> {
    for (const auto& t : types) {
      if (t->id() != arrow::Type::DOUBLE) return Status::TypeError("test_udf_divide takes doubles");
    }
    UdfKernelSpec spec;
    spec.output_type = arrow::float64();
    spec.native = SafeDivide;
    spec.on_error = [](const std::vector<std::shared_ptr<arrow::Array>>& args, int64_t row) {
      return Status::Invalid("divide by zero at row ", row, " (a=", args[0]->GetScalar(row).ValueOrDie()->ToString(),
                             ")");
    };
    return spec;
  });
}

TEST(UdfFunction, NativeKernelPropagatesNulls) {
  RegisterDivide();
  auto out = Evaluate(Expr::Call("test_udf_divide", {col("a"), col("b")}), Numbers());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE((*out)->Equals(*FromJson(arrow::float64(), "[0.5, null, null, 3]"))) << (*out)->ToString();
}

TEST(UdfFunction, NativeKernelOnASliceAndWithALiteral) {
  RegisterDivide();
  auto sliced = Numbers()->Slice(3, 1);
  auto out = Evaluate(Expr::Call("test_udf_divide", {col("a"), lit(2.0)}), sliced);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE((*out)->Equals(*FromJson(arrow::float64(), "[4.5]"))) << (*out)->ToString();
}

TEST(UdfFunction, ErrorRowGoesToTheErrorReporter) {
  RegisterDivide();
  auto schema = arrow::schema({arrow::field("a", arrow::float64()), arrow::field("b", arrow::float64())});
  auto batch = arrow::RecordBatch::Make(
      schema, 3, {FromJson(arrow::float64(), "[1, 7, 3]"), FromJson(arrow::float64(), "[1, 0, 1]")});
  auto out = Evaluate(Expr::Call("test_udf_divide", {col("a"), col("b")}), batch);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("divide by zero at row 1 (a=7)"), std::string::npos) << out.status();
  EXPECT_NE(out.status().message().find("test_udf_divide(a, b)"), std::string::npos) << out.status();
}

TEST(UdfFunction, TypesTheSpecializerRejectsFailTheBind) {
  RegisterDivide();
  auto schema = arrow::schema({arrow::field("s", arrow::utf8())});
  auto bound = Bind(Expr::Call("test_udf_divide", {col("s"), col("s")}), schema);
  ASSERT_FALSE(bound.ok());
  EXPECT_NE(bound.status().message().find("takes doubles"), std::string::npos) << bound.status();
}

TEST(UdfFunction, StringArgumentsAsOffsetsAndCharacters) {
  RegisterOnce("test_udf_byte_length", 1, [](const auto&) -> Result<UdfKernelSpec> {
    UdfKernelSpec spec;
    spec.output_type = arrow::int64();
    spec.native = ByteLength;
    return spec;
  });
  auto schema = arrow::schema({arrow::field("s", arrow::utf8())});
  auto batch = arrow::RecordBatch::Make(schema, 4, {FromJson(arrow::utf8(), R"(["a", "héllo", null, ""])")})
                   ->Slice(1, 3);
  auto out = Evaluate(Expr::Call("test_udf_byte_length", {col("s")}), batch);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE((*out)->Equals(*FromJson(arrow::int64(), "[6, null, 0]"))) << (*out)->ToString();
}

TEST(UdfFunction, UdfThatHandlesNullsDecidesValidity) {
  RegisterOnce("test_udf_not_or_true", 1, [](const auto&) -> Result<UdfKernelSpec> {
    UdfKernelSpec spec;
    spec.output_type = arrow::boolean();
    spec.native = NotOrTrue;
    spec.handles_nulls = true;
    return spec;
  });
  auto schema = arrow::schema({arrow::field("f", arrow::boolean())});
  auto batch = arrow::RecordBatch::Make(schema, 3, {FromJson(arrow::boolean(), "[true, null, false]")});
  auto out = Evaluate(Expr::Call("test_udf_not_or_true", {col("f")}), batch);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE((*out)->Equals(*FromJson(arrow::boolean(), "[false, true, true]"))) << (*out)->ToString();
}

TEST(UdfFunction, HostKernelAndItsTypeCheck) {
  RegisterOnce("test_udf_host_identity", 1, [](const auto& types) -> Result<UdfKernelSpec> {
    UdfKernelSpec spec;
    spec.output_type = arrow::int64();  // declared int64 whatever comes in
    spec.host = [](const std::vector<std::shared_ptr<arrow::Array>>& args) { return args[0]; };
    return spec;
  });
  auto ints = arrow::RecordBatch::Make(arrow::schema({arrow::field("x", arrow::int64())}), 2,
                                       {FromJson(arrow::int64(), "[1, null]")});
  auto out = Evaluate(Expr::Call("test_udf_host_identity", {col("x")}), ints);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE((*out)->Equals(*FromJson(arrow::int64(), "[1, null]")));
  auto doubles = arrow::RecordBatch::Make(arrow::schema({arrow::field("x", arrow::float64())}), 1,
                                          {FromJson(arrow::float64(), "[1]")});
  auto wrong = Evaluate(Expr::Call("test_udf_host_identity", {col("x")}), doubles);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("returned double, declared int64"), std::string::npos) << wrong.status();
}

TEST(UdfFunction, RegisteringANameTwiceIsAnError) {
  RegisterDivide();
  auto status = RegisterUdf("test_udf_divide", 2, [](const auto&) -> Result<UdfKernelSpec> { return UdfKernelSpec{}; });
  EXPECT_TRUE(status.IsKeyError()) << status;
}

TEST(UdfFunction, ConcurrentBindsShareOneKernelAndCallsAgree) {
  static std::atomic<int> specialized{0};
  RegisterOnce("test_udf_concurrent_divide", 2, [](const auto&) -> Result<UdfKernelSpec> {
    specialized.fetch_add(1);
    UdfKernelSpec spec;
    spec.output_type = arrow::float64();
    spec.native = SafeDivide;
    return spec;
  });
  auto batch = Numbers();
  auto expected = FromJson(arrow::float64(), "[0.5, null, null, 3]");
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto out = Evaluate(Expr::Call("test_udf_concurrent_divide", {col("a"), col("b")}), batch);
        if (!out.ok() || !(*out)->Equals(*expected)) mismatches.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
  // Racing binds may each specialize, but only one kernel is kept per type list.
  EXPECT_GE(specialized.load(), 1);
}

}  // namespace
}  // namespace sabot
