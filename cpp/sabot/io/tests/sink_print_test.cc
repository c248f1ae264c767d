// Print sink: the exact table text, nulls, long cells, and the row-count footer.
#include <sstream>

#include <arrow/array.h>
#include <arrow/json/from_string.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>
#include <gtest/gtest.h>

#include "sabot/io/sink_factory.h"

namespace sabot {
namespace {

std::shared_ptr<arrow::Array> FromJson(const std::shared_ptr<arrow::DataType>& type,
                                       const std::string& json) {
  auto array = arrow::json::ArrayFromJSONString(type, json);
  EXPECT_TRUE(array.ok()) << array.status().ToString();
  return *array;
}

class SinkPrintTest : public ::testing::Test {
 protected:
  std::shared_ptr<arrow::Schema> schema_ = arrow::schema(
      {arrow::field("id", arrow::int64()), arrow::field("name", arrow::utf8())});

  std::shared_ptr<arrow::RecordBatch> Batch(const std::string& ids, const std::string& names) {
    auto id = FromJson(arrow::int64(), ids);
    return arrow::RecordBatch::Make(schema_, id->length(), {id, FromJson(arrow::utf8(), names)});
  }

  //! Prints the batches and returns the text.
  std::string Print(const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches,
                    int64_t max_rows = 100) {
    std::ostringstream text;
    output_.print_to = &text;
    SinkSpec spec;
    spec.kind = SinkSpec::Kind::kPrint;
    spec.max_print_rows = max_rows;
    auto sink = MakeSink(spec, schema_, &output_);
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    if (!sink.ok()) return "";
    for (const auto& batch : batches) EXPECT_TRUE((*sink)->Push(0, Message::Batch(batch)).ok());
    EXPECT_TRUE((*sink)->Push(0, Message::Watermark(5)).ok());
    EXPECT_EQ(text.str(), "") << "nothing is printed before EndOfStream";
    EXPECT_TRUE((*sink)->Push(0, Message::EndOfStream()).ok());
    return text.str();
  }

  SinkOutput output_;
};

TEST_F(SinkPrintTest, PrintsBoxedTableWithTypesAndNulls) {
  EXPECT_EQ(Print({Batch("[1, 22]", R"(["alice", null])"), Batch("[]", "[]"),
                   Batch("[null]", R"(["bob"])")}),
            "┌───────┬────────┐\n"
            "│ id    │ name   │\n"
            "│ int64 │ string │\n"
            "├───────┼────────┤\n"
            "│     1 │ alice  │\n"
            "│    22 │ null   │\n"
            "│  null │ bob    │\n"
            "└───────┴────────┘\n"
            "3 rows\n");
  EXPECT_EQ(output_.rows, 3);
}

TEST_F(SinkPrintTest, ShowsFirstRowsAndTotal) {
  EXPECT_EQ(Print({Batch("[1, 2]", R"(["a", "b"])"), Batch("[3, 4]", R"(["c", "d"])")}, 3),
            "┌───────┬────────┐\n"
            "│ id    │ name   │\n"
            "│ int64 │ string │\n"
            "├───────┼────────┤\n"
            "│     1 │ a      │\n"
            "│     2 │ b      │\n"
            "│     3 │ c      │\n"
            "└───────┴────────┘\n"
            "4 rows (showing first 3)\n");
  EXPECT_EQ(output_.rows, 4);
}

TEST_F(SinkPrintTest, CutsLongCellsAndKeepsThemOnOneLine) {
  const std::string text = Print({Batch(
      "[1]", R"(["a very long name that goes on and on and on and on, ✓✓✓✓✓✓✓"])")});
  EXPECT_NE(text.find("│ a very long name that goes on and on an… │"), std::string::npos) << text;
  EXPECT_NE(text.find("1 row\n"), std::string::npos) << text;

  const std::string newline = Print({Batch("[1]", R"(["two\nlines"])")});
  EXPECT_NE(newline.find("│ two\\nlines │"), std::string::npos) << newline;
}

TEST_F(SinkPrintTest, EmptyResultPrintsHeaderAndZeroRows) {
  EXPECT_EQ(Print({}),
            "┌───────┬────────┐\n"
            "│ id    │ name   │\n"
            "│ int64 │ string │\n"
            "├───────┼────────┤\n"
            "└───────┴────────┘\n"
            "0 rows\n");
}

TEST_F(SinkPrintTest, AbortPrintsNothing) {
  std::ostringstream text;
  output_.print_to = &text;
  SinkSpec spec;
  spec.kind = SinkSpec::Kind::kPrint;
  auto sink = MakeSink(spec, schema_, &output_);
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->Push(0, Message::Batch(Batch("[1]", R"(["a"])"))).ok());
  ASSERT_TRUE((*sink)->Abort().ok());
  EXPECT_FALSE((*sink)->Push(0, Message::EndOfStream()).ok());
  EXPECT_EQ(text.str(), "");
}

}  // namespace
}  // namespace sabot
