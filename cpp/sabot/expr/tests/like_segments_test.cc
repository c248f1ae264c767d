// like_segments agrees with Arrow's match_like on patterns of literal text and '%', and
// binding a filter's LIKE picks it only for those patterns.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include <random>

#include "sabot/expr/bind.h"
#include "sabot/expr/like_segments.h"

namespace sabot {
namespace {

namespace cp = arrow::compute;

std::shared_ptr<arrow::Array> Strings(const std::shared_ptr<arrow::DataType>& type, const std::string& json) {
  return arrow::json::ArrayFromJSONString(type, json).ValueOrDie();
}

TEST(LikeSegments, AppliesOnlyWithoutUnderscoreOrEscape) {
  EXPECT_TRUE(LikeSegments::Applies("%special%requests%"));
  EXPECT_TRUE(LikeSegments::Applies("abc"));
  EXPECT_FALSE(LikeSegments::Applies("a_c%"));
  EXPECT_FALSE(LikeSegments::Applies("100\\%%"));
}

TEST(LikeSegments, AgreesWithArrowMatchLike) {
  ASSERT_TRUE(EnsureComputeInitialized().ok());
  const std::string json =
      R"(["", "special requests", "a special, slow requests b", "requests special", "specialrequests", null,
          "speciarequests", "ab", "aba", "abba", "xab", "abx", "green", "dark green tea", "Green", "a%b", "ba"])";
  for (const auto& type : {arrow::utf8(), arrow::large_utf8()}) {
    auto strings = Strings(type, json);
    // A slice: offsets and the validity bitmap start mid-buffer.
    auto sliced = strings->Slice(3);
    for (const std::string pattern : {"%special%requests%", "%green%", "green", "ab%", "%ab", "ab%ba", "a%b%a",
                                      "%", "%%", "", "a%", "%a%b%"}) {
      for (const auto& input : {strings, sliced}) {
        auto want = cp::CallFunction("match_like", {input}, std::make_shared<cp::MatchSubstringOptions>(pattern).get());
        auto got = cp::CallFunction(kLikeSegmentsFunction, {input, arrow::MakeScalar(pattern)});
        ASSERT_TRUE(want.ok() && got.ok()) << want.status().ToString() << got.status().ToString();
        EXPECT_TRUE(got->make_array()->Equals(*want->make_array()))
            << "pattern '" << pattern << "' " << type->ToString() << ": " << got->make_array()->ToString()
            << " vs " << want->make_array()->ToString();
      }
    }
  }
}

// Random rows over a tiny alphabet, so anchors occur often, straddle row boundaries and
// fill strings longer than one 32-byte step of the scan; sliced and with nulls.
TEST(LikeSegments, ColumnScanAgreesWithArrowOnRandomRows) {
  ASSERT_TRUE(EnsureComputeInitialized().ok());
  std::mt19937 rng(7);
  for (const auto& type : {arrow::utf8(), arrow::large_utf8()}) {
    std::unique_ptr<arrow::ArrayBuilder> builder;
    ASSERT_TRUE(arrow::MakeBuilder(arrow::default_memory_pool(), type, &builder).ok());
    for (int row = 0; row < 3000; ++row) {
      if (rng() % 17 == 0) {
        ASSERT_TRUE(builder->AppendNull().ok());
        continue;
      }
      const int length = rng() % 5 == 0 ? static_cast<int>(rng() % 120) : static_cast<int>(rng() % 8);
      std::string s;
      for (int i = 0; i < length; ++i) s.push_back("abc"[rng() % 3]);
      auto st = type->id() == arrow::Type::STRING ? static_cast<arrow::StringBuilder&>(*builder).Append(s)
                                                  : static_cast<arrow::LargeStringBuilder&>(*builder).Append(s);
      ASSERT_TRUE(st.ok());
    }
    std::shared_ptr<arrow::Array> strings;
    ASSERT_TRUE(builder->Finish(&strings).ok());
    for (const std::string pattern : {"%ab%", "%a%", "%abcab%", "%ca%bb%", "a%bc%", "%cc%a", "ab%ba%cc%ab",
                                      "%aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%", "%abcabcabcabc%"}) {
      for (const auto& input : {strings, strings->Slice(5), strings->Slice(1000, 777)}) {
        auto want = cp::CallFunction("match_like", {input}, std::make_shared<cp::MatchSubstringOptions>(pattern).get());
        auto got = cp::CallFunction(kLikeSegmentsFunction, {input, arrow::MakeScalar(pattern)});
        ASSERT_TRUE(want.ok() && got.ok()) << want.status().ToString() << got.status().ToString();
        EXPECT_TRUE(got->make_array()->Equals(*want->make_array())) << "pattern '" << pattern << "' " << type->ToString();
      }
    }
  }
}

TEST(LikeSegments, FindSegmentFindsTheFirstOccurrence) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string text(rng() % 200, 'x');
    for (auto& c : text) c = "xyz"[rng() % 3];
    std::string needle(1 + rng() % 6, 'x');
    for (auto& c : needle) c = "xyz"[rng() % 3];
    const size_t from = text.empty() ? 0 : rng() % text.size();
    const size_t want = text.find(needle, from);
    const char* got = FindSegment(text.data() + from, text.data() + text.size(), needle);
    EXPECT_EQ(got - text.data(), static_cast<ptrdiff_t>(want == std::string::npos ? text.size() : want))
        << "'" << needle << "' in '" << text << "' from " << from;
  }
}

TEST(LikeSegments, BindingUsesItForPlainPatternsOnly) {
  auto schema = arrow::schema({arrow::field("s", arrow::utf8())});
  auto batch = arrow::RecordBatch::Make(
      schema, 3, {Strings(arrow::utf8(), R"(["my special requests", "special", null])")});
  auto like = [](const std::string& pattern) {
    return Expr::Call("match_like", {Expr::Column("s")}, {{"pattern", pattern}});
  };
  for (const auto& [pattern, want] : std::vector<std::pair<std::string, std::string>>{
           {"%special%requests%", "[true, false, null]"}, {"%spec_al%", "[true, true, null]"}}) {
    auto bound = Bind(like(pattern), schema);
    ASSERT_TRUE(bound.ok()) << bound.status().ToString();
    const bool segments = bound->arrow_expr().ToString().find(kLikeSegmentsFunction) != std::string::npos;
    EXPECT_EQ(segments, LikeSegments::Applies(pattern)) << bound->arrow_expr().ToString();
    auto out = bound->Evaluate(*batch);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_TRUE((*out)->Equals(*Strings(arrow::boolean(), want))) << (*out)->ToString();
  }
}

}  // namespace
}  // namespace sabot
