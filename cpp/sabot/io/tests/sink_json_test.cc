// JSON lines sink: exact text of every supported value kind, and that Arrow's JSON
// reader accepts the output.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <arrow/array.h>
#include <arrow/builder.h>
#include <arrow/io/file.h>
#include <arrow/json/from_string.h>
#include <arrow/json/reader.h>
#include <arrow/record_batch.h>
#include <arrow/table.h>
#include <arrow/type.h>
#include <gtest/gtest.h>

#include "sabot/io/sink_factory.h"

namespace sabot {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<arrow::Array> FromJson(const std::shared_ptr<arrow::DataType>& type,
                                       const std::string& json) {
  auto array = arrow::json::ArrayFromJSONString(type, json);
  EXPECT_TRUE(array.ok()) << array.status().ToString();
  return *array;
}

std::shared_ptr<arrow::Array> Doubles(const std::vector<double>& values) {
  arrow::DoubleBuilder builder;
  EXPECT_TRUE(builder.AppendValues(values).ok());
  return builder.Finish().ValueOrDie();
}

class SinkJsonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sabot_sink_json_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  //! Writes the batches through MakeSink and returns the file's text.
  std::string Write(const std::shared_ptr<arrow::Schema>& schema,
                    const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches) {
    SinkSpec spec;
    spec.kind = SinkSpec::Kind::kFile;
    spec.format = FileFormat::kJsonLines;
    spec.path = (dir_ / "out.jsonl").string();
    auto sink = MakeSink(spec, schema, &output_);
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    if (!sink.ok()) return "";
    for (const auto& batch : batches) {
      auto flow = (*sink)->Push(0, Message::Batch(batch));
      EXPECT_TRUE(flow.ok()) << flow.status().ToString();
    }
    auto flow = (*sink)->Push(0, Message::EndOfStream());
    EXPECT_TRUE(flow.ok()) << flow.status().ToString();
    std::ifstream in(spec.path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path dir_;
  SinkOutput output_;
};

TEST_F(SinkJsonTest, WritesEveryValueKindExactly) {
  auto schema = arrow::schema({
      arrow::field("id", arrow::int64()),
      arrow::field("name", arrow::utf8()),
      arrow::field("score", arrow::float64()),
      arrow::field("ok", arrow::boolean()),
      arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO)),
      arrow::field("ts_utc", arrow::timestamp(arrow::TimeUnit::MILLI, "UTC")),
      arrow::field("day", arrow::date32()),
      arrow::field("price", arrow::decimal128(10, 2)),
      arrow::field("tags", arrow::list(arrow::utf8())),
  });
  const double inf = std::numeric_limits<double>::infinity();
  auto first = arrow::RecordBatch::Make(
      schema, 3,
      {FromJson(arrow::int64(), "[1, 2, null]"),
       FromJson(arrow::utf8(), R"(["alice", "q\"b\\n\nt\tc\u0001", null])"),
       Doubles({1.5, std::nan(""), inf}),
       FromJson(arrow::boolean(), "[true, false, null]"),
       FromJson(schema->field(4)->type(), "[1704164645123456, -500000, null]"),
       FromJson(schema->field(5)->type(), "[0, 1704164645123, null]"),
       FromJson(arrow::date32(), "[19724, -1, null]"),
       FromJson(schema->field(7)->type(), R"(["12.34", "-0.05", null])"),
       FromJson(schema->field(8)->type(), R"([["a", null], [], null])")});
  auto empty = arrow::RecordBatch::MakeEmpty(schema).ValueOrDie();
  // A slice: values must be read at the slice's offset, list offsets included.
  auto last = arrow::RecordBatch::Make(
                  schema, 2,
                  {FromJson(arrow::int64(), "[9, 4]"),
                   FromJson(arrow::utf8(), R"(["x", "héllo ✓"])"), Doubles({0, 2.0}),
                   FromJson(arrow::boolean(), "[false, true]"),
                   FromJson(schema->field(4)->type(), "[5, 0]"),
                   FromJson(schema->field(5)->type(), "[5, 1]"),
                   FromJson(arrow::date32(), "[5, 0]"),
                   FromJson(schema->field(7)->type(), R"(["1.00", "100.00"])"),
                   FromJson(schema->field(8)->type(), R"([["z"], ["b", "c"]])")})
                  ->Slice(1, 1);

  const std::string text = Write(schema, {first, empty, last});
  EXPECT_EQ(text,
            R"({"id":1,"name":"alice","score":1.5,"ok":true,"ts":"2024-01-02T03:04:05.123456",)"
            R"("ts_utc":"1970-01-01T00:00:00.000Z","day":"2024-01-02","price":"12.34",)"
            R"("tags":["a",null]})"
            "\n"
            R"({"id":2,"name":"q\"b\\n\nt\tc\u0001","score":null,"ok":false,)"
            R"("ts":"1969-12-31T23:59:59.500000","ts_utc":"2024-01-02T03:04:05.123Z",)"
            R"("day":"1969-12-31","price":"-0.05","tags":[]})"
            "\n"
            R"({"id":null,"name":null,"score":null,"ok":null,"ts":null,"ts_utc":null,)"
            R"("day":null,"price":null,"tags":null})"
            "\n"
            R"({"id":4,"name":"héllo ✓","score":2.0,"ok":true,"ts":"1970-01-01T00:00:00.000000",)"
            R"("ts_utc":"1970-01-01T00:00:00.001Z","day":"1970-01-01","price":"100.00",)"
            R"("tags":["b","c"]})"
            "\n");
  EXPECT_EQ(output_.rows, 4);

  // Arrow's JSON reader parses every line back.
  auto file = arrow::io::ReadableFile::Open((dir_ / "out.jsonl").string()).ValueOrDie();
  auto reader = arrow::json::TableReader::Make(arrow::default_memory_pool(), file,
                                               arrow::json::ReadOptions::Defaults(),
                                               arrow::json::ParseOptions::Defaults());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto table = (*reader)->Read();
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ((*table)->num_rows(), 4);
  EXPECT_EQ((*table)->num_columns(), 9);
  auto names = (*table)->GetColumnByName("name")->chunk(0);
  EXPECT_EQ(std::static_pointer_cast<arrow::StringArray>(names)->GetString(1),
            "q\"b\\n\nt\tc\x01");
}

TEST_F(SinkJsonTest, NestedStructsDictionariesOffsetsAndNumbers) {
  auto point = arrow::struct_({arrow::field("x", arrow::int32()), arrow::field("y", arrow::utf8())});
  auto schema = arrow::schema({
      arrow::field("p", point),
      arrow::field("nested", arrow::list(arrow::list(arrow::int64()))),
      arrow::field("color", arrow::dictionary(arrow::int8(), arrow::utf8())),
      arrow::field("local", arrow::timestamp(arrow::TimeUnit::SECOND, "+01:00")),
      arrow::field("u", arrow::uint64()),
      arrow::field("f", arrow::float32()),
      arrow::field("t", arrow::time64(arrow::TimeUnit::MICRO)),
      arrow::field("ny", arrow::timestamp(arrow::TimeUnit::SECOND, "America/New_York")),
  });
  auto dict = arrow::DictionaryArray::FromArrays(schema->field(2)->type(),
                                                 FromJson(arrow::int8(), "[1, 0, null]"),
                                                 FromJson(arrow::utf8(), R"(["red", "blue"])"))
                  .ValueOrDie();
  auto batch = arrow::RecordBatch::Make(
      schema, 3,
      {FromJson(point, R"([{"x": 1, "y": "a"}, null, {"x": null, "y": "c"}])"),
       FromJson(schema->field(1)->type(), "[[[1, 2], []], [null, [3]], []]"), dict,
       FromJson(schema->field(3)->type(), "[0, -3600, null]"),
       FromJson(arrow::uint64(), "[18446744073709551615, 0, 7]"),
       FromJson(arrow::float32(), "[0.1, -2.5, 1e20]"),
       FromJson(schema->field(6)->type(), "[3723000001, 0, null]"),
       FromJson(schema->field(7)->type(), "[0, 86399, 86400]")});
  // A named zone is written as the UTC instant: exact without a time zone database.
  EXPECT_EQ(Write(schema, {batch}),
            R"({"p":{"x":1,"y":"a"},"nested":[[1,2],[]],"color":"blue",)"
            R"("local":"1970-01-01T01:00:00+01:00","u":18446744073709551615,"f":0.1,)"
            R"("t":"01:02:03.000001","ny":"1970-01-01T00:00:00Z"})"
            "\n"
            R"({"p":null,"nested":[null,[3]],"color":"red","local":"1970-01-01T00:00:00+01:00",)"
            R"("u":0,"f":-2.5,"t":"00:00:00.000000","ny":"1970-01-01T23:59:59Z"})"
            "\n"
            R"({"p":{"x":null,"y":"c"},"nested":[],"color":null,"local":null,"u":7,"f":1e+20,)"
            R"("t":null,"ny":"1970-01-02T00:00:00Z"})"
            "\n");
}

TEST_F(SinkJsonTest, EmptyStreamWritesEmptyFile) {
  auto schema = arrow::schema({arrow::field("x", arrow::int64())});
  EXPECT_EQ(Write(schema, {arrow::RecordBatch::MakeEmpty(schema).ValueOrDie()}), "");
  EXPECT_TRUE(fs::exists(dir_ / "out.jsonl"));
}

}  // namespace
}  // namespace sabot
