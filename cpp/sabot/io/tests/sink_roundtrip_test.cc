// File sinks round trip: what CSV, Arrow IPC (file and stream) and Parquet sinks write,
// Arrow's own readers read back value for value.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <arrow/array.h>
#include <arrow/csv/reader.h>
#include <arrow/io/file.h>
#include <arrow/ipc/reader.h>
#include <arrow/json/from_string.h>
#include <arrow/record_batch.h>
#include <arrow/table.h>
#include <arrow/type.h>
#include <arrow/util/compression.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

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

//! Rows with nulls, strings that need quoting or escaping, timestamps before and after
//! the epoch, plus (unless `flat`) nested columns; split over three batches, one empty.
std::vector<std::shared_ptr<arrow::RecordBatch>> TestBatches(bool flat) {
  arrow::FieldVector fields = {
      arrow::field("id", arrow::int64()),
      arrow::field("name", arrow::utf8()),
      arrow::field("score", arrow::float64()),
      arrow::field("ok", arrow::boolean()),
      arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO)),
      arrow::field("day", arrow::date32()),
  };
  std::vector<std::string> first = {
      "[1, 2, null]",
      R"(["plain", "comma, \"quote\"\nnewline", null])",
      "[1.5, -0.25, null]",
      "[true, null, false]",
      "[1704164645123456, -500000, null]",
      "[19724, null, -1]",
  };
  std::vector<std::string> last = {"[4]", R"(["héllo ✓"])", "[2.0]",
                                   "[false]", "[0]", "[0]"};
  if (!flat) {
    fields.push_back(arrow::field("tags", arrow::list(arrow::utf8())));
    first.push_back(R"([["a", null], [], null])");
    last.push_back(R"([["b"]])");
    fields.push_back(arrow::field("utc", arrow::timestamp(arrow::TimeUnit::NANO, "UTC")));
    first.push_back("[1, null, -1]");
    last.push_back("[1704164645123456789]");
    fields.push_back(arrow::field("price", arrow::decimal128(12, 3)));
    first.push_back(R"(["1.500", null, "-0.001"])");
    last.push_back(R"(["123456789.123"])");
    auto point = arrow::struct_({arrow::field("x", arrow::int32())});
    fields.push_back(arrow::field("p", point));
    first.push_back(R"([{"x": 1}, null, {"x": null}])");
    last.push_back(R"([{"x": 2}])");
  }
  auto schema = arrow::schema(fields);
  arrow::ArrayVector first_columns;
  arrow::ArrayVector last_columns;
  for (size_t c = 0; c < fields.size(); ++c) {
    first_columns.push_back(FromJson(fields[c]->type(), first[c]));
    last_columns.push_back(FromJson(fields[c]->type(), last[c]));
  }
  return {arrow::RecordBatch::Make(schema, 3, first_columns),
          arrow::RecordBatch::MakeEmpty(schema).ValueOrDie(),
          arrow::RecordBatch::Make(schema, 1, last_columns)};
}

class SinkRoundTripTest : public ::testing::TestWithParam<FileFormat> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sabot_sink_roundtrip_test_" + std::to_string(::getpid()) + "_" +
            std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  //! Writes `batches` to a file of `format` through MakeSink; returns its path.
  std::string Write(FileFormat format,
                    const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches) {
    SinkSpec spec;
    spec.kind = SinkSpec::Kind::kFile;
    spec.format = format;
    spec.path = (dir_ / ("out." + std::string(ToString(format)))).string();
    auto sink = MakeSink(spec, batches.front()->schema(), &output_);
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    if (!sink.ok()) return spec.path;
    for (const auto& batch : batches) {
      auto flow = (*sink)->Push(0, Message::Batch(batch));
      EXPECT_TRUE(flow.ok()) << flow.status().ToString();
    }
    auto flow = (*sink)->Push(0, Message::EndOfStream());
    EXPECT_TRUE(flow.ok()) << flow.status().ToString();
    return spec.path;
  }

  static std::shared_ptr<arrow::Table> ReadBack(FileFormat format, const std::string& path,
                                                const std::shared_ptr<arrow::Schema>& schema) {
    auto file = arrow::io::ReadableFile::Open(path).ValueOrDie();
    switch (format) {
      case FileFormat::kCsv: {
        auto parse = arrow::csv::ParseOptions::Defaults();
        parse.newlines_in_values = true;
        auto convert = arrow::csv::ConvertOptions::Defaults();
        // The writer quotes every string, so only an unquoted empty field is a null.
        convert.strings_can_be_null = true;
        convert.quoted_strings_can_be_null = false;
        for (const auto& field : schema->fields()) convert.column_types[field->name()] = field->type();
        return arrow::csv::TableReader::Make(arrow::io::default_io_context(), file,
                                             arrow::csv::ReadOptions::Defaults(), parse, convert)
            .ValueOrDie()
            ->Read()
            .ValueOrDie();
      }
      case FileFormat::kIpcFile:
        return arrow::ipc::RecordBatchFileReader::Open(file).ValueOrDie()->ToTable().ValueOrDie();
      case FileFormat::kIpcStream:
        return arrow::ipc::RecordBatchStreamReader::Open(file).ValueOrDie()->ToTable().ValueOrDie();
      case FileFormat::kParquet:
        return parquet::arrow::OpenFile(file, arrow::default_memory_pool())
            .ValueOrDie()
            ->ReadTable()
            .ValueOrDie();
      case FileFormat::kJsonLines:
        break;
    }
    return nullptr;
  }

  fs::path dir_;
  SinkOutput output_;
};

TEST_P(SinkRoundTripTest, ReadsBackEveryValue) {
  const FileFormat format = GetParam();
  auto batches = TestBatches(/*flat=*/format == FileFormat::kCsv);
  const std::string path = Write(format, batches);
  EXPECT_EQ(output_.rows, 4);
  auto expected = arrow::Table::FromRecordBatches(batches).ValueOrDie();
  auto actual = ReadBack(format, path, expected->schema());
  ASSERT_NE(actual, nullptr);
  ASSERT_TRUE(actual->schema()->Equals(*expected->schema(), /*check_metadata=*/false))
      << actual->schema()->ToString();
  EXPECT_TRUE(actual->Equals(*expected, /*check_metadata=*/false))
      << "got\n" << actual->ToString() << "\nexpected\n" << expected->ToString();
}

INSTANTIATE_TEST_SUITE_P(Formats, SinkRoundTripTest,
                         ::testing::Values(FileFormat::kCsv, FileFormat::kIpcFile,
                                           FileFormat::kIpcStream, FileFormat::kParquet),
                         [](const auto& info) { return std::string(ToString(info.param)); });

TEST_F(SinkRoundTripTest, CsvWritesHeaderAndQuotes) {
  const std::string path = Write(FileFormat::kCsv, TestBatches(/*flat=*/true));
  std::ifstream in(path);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, R"("id","name","score","ok","ts","day")");
}

TEST_F(SinkRoundTripTest, CsvRejectsListColumnNamingIt) {
  SinkSpec spec;
  spec.kind = SinkSpec::Kind::kFile;
  spec.format = FileFormat::kCsv;
  spec.path = (dir_ / "out.csv").string();
  auto sink = MakeSink(spec, TestBatches(/*flat=*/false).front()->schema(), &output_);
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.status().message(), "cannot write " + spec.path +
                                         ": column 'tags' has type list<item: string>, which "
                                         "CSV cannot hold");
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(SinkRoundTripTest, ParquetIsCompressedInOneRowGroup) {
  const std::string path = Write(FileFormat::kParquet, TestBatches(/*flat=*/false));
  auto reader = parquet::ParquetFileReader::OpenFile(path);
  auto metadata = reader->metadata();
  // Three small batches still make one row group (the limit is about a million rows).
  EXPECT_EQ(metadata->num_row_groups(), 1);
  EXPECT_EQ(metadata->num_rows(), 4);
  const auto codec = metadata->RowGroup(0)->ColumnChunk(0)->compression();
  if (arrow::util::Codec::IsAvailable(arrow::Compression::ZSTD)) {
    EXPECT_EQ(codec, arrow::Compression::ZSTD);
  } else {
    EXPECT_NE(codec, arrow::Compression::UNCOMPRESSED);
  }
}

}  // namespace
}  // namespace sabot
