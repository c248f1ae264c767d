// Type names round-trip through the parser and printer; bad names give clear errors.
#include "sabot/common/type_names.h"

#include <arrow/type.h>
#include <gtest/gtest.h>

namespace sabot {

TEST(TypeNames, RoundTrip) {
  for (const char* name : {"int64", "string", "float64", "bool", "date32", "timestamp[us]",
                           "timestamp[ms, tz=UTC]", "decimal128(12, 2)", "decimal32(9, 2)", "decimal64(18, 4)",
                           "decimal256(76, 10)", "list<int64>",
                           "list<list<string>>", "large_string", "uint8", "time32[s]", "time64[us]"}) {
    auto type = ParseDataType(name);
    ASSERT_TRUE(type.ok()) << name << ": " << type.status().ToString();
    EXPECT_EQ(FormatDataType(**type), name);
    auto again = ParseDataType(FormatDataType(**type));
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE((*again)->Equals(**type)) << name;
  }
}

TEST(TypeNames, AcceptsArrowPrintedForms) {
  auto list = ParseDataType("list<item: int32>");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_TRUE((*list)->Equals(arrow::list(arrow::int32())));
  auto date = ParseDataType("date32[day]");
  ASSERT_TRUE(date.ok());
  EXPECT_TRUE((*date)->Equals(arrow::date32()));
}

TEST(TypeNames, ErrorsNameTheText) {
  auto bad = ParseDataType("int65");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown type 'int65'"), std::string::npos)
      << bad.status().ToString();
  auto unit = ParseDataType("timestamp[days]");
  ASSERT_FALSE(unit.ok());
  EXPECT_NE(unit.status().message().find("time unit"), std::string::npos);
  auto time_unit = ParseDataType("time32[us]");
  ASSERT_FALSE(time_unit.ok());
  EXPECT_NE(time_unit.status().message().find("expected s or ms"), std::string::npos) << time_unit.status().ToString();
  EXPECT_FALSE(ParseDataType("list<int64").ok());
  auto wide = ParseDataType("decimal64(19, 2)");
  ASSERT_FALSE(wide.ok());
  EXPECT_NE(wide.status().message().find("decimal64 precision must be in 1..18"), std::string::npos)
      << wide.status().ToString();
  EXPECT_FALSE(ParseDataType("int64 extra").ok());
}

}  // namespace sabot
