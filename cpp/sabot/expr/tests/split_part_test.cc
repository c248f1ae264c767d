// split_part: 1-based parts, null past the last part or for a null string, constant
// arguments only, reachable by name once compute is initialized.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include "sabot/expr/bind.h"

namespace sabot {
namespace {

namespace cp = arrow::compute;

std::shared_ptr<arrow::Array> Strings(const std::string& json) {
  return arrow::json::ArrayFromJSONString(arrow::utf8(), json).ValueOrDie();
}

Result<arrow::Datum> SplitPart(const std::shared_ptr<arrow::Array>& strings, const std::string& separator,
                               int64_t index) {
  ARROW_RETURN_NOT_OK(EnsureComputeInitialized());
  return cp::CallFunction("split_part", {strings, arrow::MakeScalar(separator), arrow::MakeScalar(index)});
}

TEST(SplitPart, PartsCountFromOneAndMissingOnesAreNull) {
  auto urls = Strings(R"(["https://host/a/b", "x", null, "a//c", ""])");
  auto third = SplitPart(urls, "/", 4);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_TRUE(third->make_array()->Equals(*Strings(R"(["a", null, null, null, null])")));
  auto first = SplitPart(urls, "/", 1);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->make_array()->Equals(*Strings(R"(["https:", "x", null, "a", ""])")));
  auto empty_part = SplitPart(urls, "/", 2);
  ASSERT_TRUE(empty_part.ok());
  EXPECT_TRUE(empty_part->make_array()->Equals(*Strings(R"(["", null, null, "", null])")));
  auto long_separator = SplitPart(Strings(R"(["k=1&channel_id=42&z"])"), "channel_id=", 2);
  ASSERT_TRUE(long_separator.ok());
  EXPECT_TRUE(long_separator->make_array()->Equals(*Strings(R"(["42&z"])")));
}

TEST(SplitPart, WholeStringsAreNotCopied) {
  // No separator in any string: each part is its whole string, so the input comes back.
  auto words = Strings(R"(["alpha", null, "beta", ""])");
  auto first = SplitPart(words, "/", 1);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->make_array()->Equals(*words));
  EXPECT_EQ(first->array()->buffers[2]->data(), words->data()->buffers[2]->data()) << "the bytes are shared";

  // Whole strings first, then a split one: the first rows are copied as they are.
  auto mixed = SplitPart(Strings(R"(["alpha", null, "", "b/c", "d", null, "e/f/g"])"), "/", 1);
  ASSERT_TRUE(mixed.ok());
  EXPECT_TRUE(mixed->make_array()->Equals(*Strings(R"(["alpha", null, "", "b", "d", null, "e"])")))
      << mixed->make_array()->ToString();
  auto second = SplitPart(Strings(R"(["alpha", null, "b/c", "e/f/g"])"), "/", 2);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->make_array()->Equals(*Strings(R"([null, null, "c", "f"])")));
  EXPECT_EQ(second->make_array()->null_count(), 2);
}

TEST(SplitPart, SlicedInput) {
  auto urls = Strings(R"(["skip/me", "https://h/a/b", null, "https://h/c", "x"])")->Slice(1, 3);
  auto dir = SplitPart(urls, "/", 4);
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_TRUE(dir->make_array()->Equals(*Strings(R"(["a", null, "c"])"))) << dir->make_array()->ToString();
  auto whole = SplitPart(Strings(R"(["a/b", "x", "y"])")->Slice(1, 2), "/", 1);
  ASSERT_TRUE(whole.ok());
  EXPECT_TRUE(whole->make_array()->Equals(*Strings(R"(["x", "y"])")));
}

TEST(SplitPart, BadArgumentsAreNamed) {
  auto urls = Strings(R"(["a/b"])");
  EXPECT_EQ(SplitPart(urls, "/", 0).status().message(), "split_part: the index counts from 1, got 0");
  EXPECT_EQ(SplitPart(urls, "", 1).status().message(), "split_part: the separator must not be empty");
  ASSERT_TRUE(EnsureComputeInitialized().ok());
  auto column_index = cp::CallFunction("split_part", {urls, arrow::MakeScalar(std::string("/")),
                                                      arrow::json::ArrayFromJSONString(arrow::int64(), "[1]").ValueOrDie()});
  EXPECT_EQ(column_index.status().message(), "split_part: the separator and the index must be constants");
}

}  // namespace
}  // namespace sabot
