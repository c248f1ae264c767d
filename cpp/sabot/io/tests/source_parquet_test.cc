// Tests for ParquetSource: row-group splits, projection (also of nested fields), bad files.
#include <filesystem>
#include <map>
#include <optional>

#include <arrow/api.h>
#include <arrow/compute/cast.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>

#include "sabot/io/parquet_footer_cache.h"
#include "sabot/io/parquet_source.h"
#include "sabot/io/source_factory.h"
#include "sabot/io/tests/read_all.h"

namespace sabot {
namespace {

using ::sabot::testing::ArrayFromJSON;
using ::sabot::testing::ReadAll;
using ::sabot::testing::ReadTable;
using ::sabot::testing::TempDir;

std::shared_ptr<arrow::Table> TestTable(int64_t first_id, int64_t rows) {
  std::string ids = "[", xs = "[", ys = "[", vs = "[";
  for (int64_t i = 0; i < rows; ++i) {
    const std::string sep = i ? ", " : "";
    ids += sep + std::to_string(first_id + i);
    vs += sep + std::to_string(i) + ".5";
    xs += sep + std::to_string(i * 10);
    ys += sep + "\"y" + std::to_string(i) + "\"";
  }
  ids += "]"; xs += "]"; ys += "]"; vs += "]";
  auto s_type = arrow::struct_({arrow::field("x", arrow::int32()), arrow::field("y", arrow::utf8())});
  auto s = std::make_shared<arrow::StructArray>(
      s_type, rows, arrow::ArrayVector{ArrayFromJSON(arrow::int32(), xs), ArrayFromJSON(arrow::utf8(), ys)});
  auto schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("s", s_type),
                               arrow::field("v", arrow::float64())});
  return arrow::Table::Make(schema, {ArrayFromJSON(arrow::int64(), ids), s,
                                     ArrayFromJSON(arrow::float64(), vs)});
}

Status WriteParquet(const std::string& path, const arrow::Table& table, int64_t row_group_rows) {
  ARROW_ASSIGN_OR_RAISE(auto out, arrow::io::FileOutputStream::Open(path));
  ARROW_RETURN_NOT_OK(parquet::arrow::WriteTable(table, arrow::default_memory_pool(), out,
                                                 row_group_rows));
  return out->Close();
}

SourceSpec ParquetSpec(const std::string& path) {
  SourceSpec spec;
  spec.format = FileFormat::kParquet;
  spec.path = path;
  return spec;
}

TEST(ParquetSource, OneSplitPerRowGroupAndValuesRoundTrip) {
  TempDir dir;
  auto t1 = TestTable(0, 10);
  auto t2 = TestTable(10, 3);
  ASSERT_OK(WriteParquet(dir.File("1.parquet"), *t1, 4));  // row groups of 4, 4, 2
  ASSERT_OK(WriteParquet(dir.File("2.parquet"), *t2, 4));  // one row group
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(ParquetSpec(dir.File("*.parquet"))));
  EXPECT_TRUE(source->schema()->Equals(*t1->schema()));
  ASSERT_OK_AND_ASSIGN(auto splits, source->Splits());
  ASSERT_EQ(splits.size(), 4u);
  EXPECT_EQ(splits[1]->ToString(), "FileSplit(" + dir.File("1.parquet") + ", row_group=1)");
  ASSERT_OK_AND_ASSIGN(auto table, ReadTable(*source));
  ASSERT_OK_AND_ASSIGN(auto expected, arrow::ConcatenateTables({t1, t2}));
  ASSERT_OK_AND_ASSIGN(table, table->CombineChunks());
  ASSERT_OK_AND_ASSIGN(expected, expected->CombineChunks());
  EXPECT_TRUE(table->Equals(*expected)) << table->ToString();
}

// Footers are parsed once per file version: a second source over the same file finds it
// kept, and a file rewritten under the same path (and then truncated) is read anew.
TEST(ParquetSource, KeptFootersFollowTheFileOnDisk) {
  TempDir dir;
  const std::string path = dir.File("t.parquet");
  ASSERT_OK(WriteParquet(path, *TestTable(0, 10), 4));
  ASSERT_OK_AND_ASSIGN(auto first, MakeSource(ParquetSpec(path)));
  ASSERT_OK_AND_ASSIGN(auto table, ReadTable(*first));
  EXPECT_EQ(table->num_rows(), 10);
  auto stamp = StampParquetFile(path);
  ASSERT_TRUE(stamp.has_value());
  auto kept = FindParquetFooter(path, *stamp);
  ASSERT_NE(kept, nullptr);
  ASSERT_OK_AND_ASSIGN(auto second, MakeSource(ParquetSpec(path)));
  ASSERT_OK_AND_ASSIGN(table, ReadTable(*second));
  EXPECT_EQ(table->num_rows(), 10);
  EXPECT_EQ(FindParquetFooter(path, *stamp), kept);  // not parsed again

  ASSERT_OK(WriteParquet(path, *TestTable(100, 7), 3));
  auto new_stamp = StampParquetFile(path);
  ASSERT_TRUE(new_stamp.has_value());
  EXPECT_FALSE(*new_stamp == *stamp);
  EXPECT_EQ(FindParquetFooter(path, *new_stamp), nullptr);
  ASSERT_OK_AND_ASSIGN(auto third, MakeSource(ParquetSpec(path)));
  ASSERT_OK_AND_ASSIGN(auto splits, third->Splits());
  EXPECT_EQ(splits.size(), 3u);
  ASSERT_OK_AND_ASSIGN(table, ReadTable(*third));
  ASSERT_OK_AND_ASSIGN(table, table->CombineChunks());
  ASSERT_OK_AND_ASSIGN(auto expected, TestTable(100, 7)->CombineChunks());
  EXPECT_TRUE(table->Equals(*expected)) << table->ToString();

  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 20);
  auto truncated = MakeSource(ParquetSpec(path));
  ASSERT_FALSE(truncated.ok());
  EXPECT_HAS_SUBSTR(truncated.status().message(), path + ": not a valid Parquet file");
}

TEST(ParquetFooterCache, KeepsAtMostItsLimitDroppingTheLeastRecentlyUsed) {
  TempDir dir;
  const std::string path = dir.File("t.parquet");
  ASSERT_OK(WriteParquet(path, *TestTable(0, 3), 4));
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(ParquetSpec(path)));
  ASSERT_OK(ReadTable(*source).status());
  auto stamp = *StampParquetFile(path);
  auto footer = FindParquetFooter(path, stamp);
  ASSERT_NE(footer, nullptr);
  // Other paths (never opened) kept with the same footer push the file out.
  for (size_t i = 0; i < kParquetFootersKept; ++i) KeepParquetFooter(dir.File("other" + std::to_string(i)), stamp, footer);
  EXPECT_EQ(ParquetFootersKept(), kParquetFootersKept);
  EXPECT_EQ(FindParquetFooter(path, stamp), nullptr);
  EXPECT_NE(FindParquetFooter(dir.File("other0"), stamp), nullptr);
}

TEST(ParquetSource, ProjectionReadsRequestedColumnsInRequestedOrder) {
  TempDir dir;
  auto t = TestTable(0, 5);
  ASSERT_OK(WriteParquet(dir.File("t.parquet"), *t, 100));
  auto spec = ParquetSpec(dir.File("t.parquet"));
  spec.columns = {"v", "s"};
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(spec));
  EXPECT_EQ(source->schema()->field(0)->name(), "v");
  EXPECT_EQ(source->schema()->field(1)->name(), "s");
  ASSERT_OK_AND_ASSIGN(auto table, ReadTable(*source));
  ASSERT_OK_AND_ASSIGN(table, table->CombineChunks());
  EXPECT_TRUE(table->column(0)->Equals(*t->column(2)));
  EXPECT_TRUE(table->column(1)->Equals(*t->column(1)));
}

TEST(ParquetSource, UnknownColumnListsAvailable) {
  TempDir dir;
  ASSERT_OK(WriteParquet(dir.File("t.parquet"), *TestTable(0, 2), 100));
  auto spec = ParquetSpec(dir.File("t.parquet"));
  spec.columns = {"id", "price"};
  auto source = MakeSource(spec);
  ASSERT_FALSE(source.ok());
  EXPECT_HAS_SUBSTR(source.status().message(), "unknown column 'price' (available columns: id, s, v)");
}

TEST(ParquetSource, TruncatedFileNamesFile) {
  TempDir dir;
  const std::string path = dir.File("t.parquet");
  ASSERT_OK(WriteParquet(path, *TestTable(0, 1000), 100));
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 20);
  auto source = MakeSource(ParquetSpec(path));
  ASSERT_FALSE(source.ok());
  EXPECT_HAS_SUBSTR(source.status().message(),
                    path + ": not a valid Parquet file (truncated or corrupt): ");
}

TEST(ParquetSource, CorruptLaterFileNamesIt) {
  TempDir dir;
  ASSERT_OK(WriteParquet(dir.File("1.parquet"), *TestTable(0, 3), 100));
  auto bad = dir.Write("2.parquet", "this is not parquet at all, just text");
  Status st = [&]() -> Status {
    ARROW_ASSIGN_OR_RAISE(auto source, MakeSource(ParquetSpec(dir.path())));
    return ReadAll(*source).status();
  }();
  ASSERT_FALSE(st.ok());
  EXPECT_HAS_SUBSTR(st.message(), bad + ": not a valid Parquet file");
}

// tpchgen-cli and other Arrow writers store string_view columns; most compute
// kernels take no view types, so the source hands out plain strings. A column with
// nulls goes through Arrow's reader, one without through PlainStringReader.
TEST(ParquetSource, ViewColumnsAreReadAsPlainStrings) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto names, arrow::compute::Cast(*ArrayFromJSON(arrow::utf8(), R"(["ab", null, "a long string past the inline twelve bytes"])"),
                                                        arrow::utf8_view()));
  const char* notes_json = R"(["", "x", "another string longer than twelve bytes"])";
  ASSERT_OK_AND_ASSIGN(auto notes, arrow::compute::Cast(*ArrayFromJSON(arrow::utf8(), notes_json), arrow::utf8_view()));
  auto schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("name", arrow::utf8_view()),
                               arrow::field("note", arrow::utf8_view(), /*nullable=*/false)});
  auto table = arrow::Table::Make(schema, {ArrayFromJSON(arrow::int64(), "[1, 2, 3]"), names, notes});
  {
    ASSERT_OK_AND_ASSIGN(auto out, arrow::io::FileOutputStream::Open(dir.File("v.parquet")));
    auto arrow_props = parquet::ArrowWriterProperties::Builder().store_schema()->build();
    ASSERT_OK(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, 2,
                                         parquet::default_writer_properties(), arrow_props));
    ASSERT_OK(out->Close());
  }
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(ParquetSpec(dir.File("v.parquet"))));
  EXPECT_TRUE(source->schema()->field(1)->type()->Equals(*arrow::utf8()));
  EXPECT_TRUE(source->schema()->field(2)->type()->Equals(*arrow::utf8()));
  ASSERT_OK_AND_ASSIGN(auto read, ReadTable(*source));
  ASSERT_OK_AND_ASSIGN(read, read->CombineChunks());
  EXPECT_TRUE(read->column(1)->chunk(0)->Equals(
      *ArrayFromJSON(arrow::utf8(), R"(["ab", null, "a long string past the inline twelve bytes"])")))
      << read->ToString();
  EXPECT_TRUE(read->column(2)->chunk(0)->Equals(*ArrayFromJSON(arrow::utf8(), notes_json))) << read->ToString();
}

// Columns whose pages all use the dictionary are read as dictionaries and expanded; a
// column that fell back to plain pages is decoded as usual. Both come out as utf8.
TEST(ParquetSource, DictionaryEncodedAndFallbackStringColumns) {
  TempDir dir;
  arrow::StringBuilder mode, comment;
  for (int i = 0; i < 20000; ++i) {
    ASSERT_OK(i % 97 == 0 ? mode.AppendNull() : mode.Append(i % 3 == 0 ? "MAIL" : "TRUCK"));
    ASSERT_OK(comment.Append("comment number " + std::to_string(i)));
  }
  auto schema = arrow::schema({arrow::field("mode", arrow::utf8()), arrow::field("comment", arrow::utf8())});
  auto table = arrow::Table::Make(schema, {*mode.Finish(), *comment.Finish()});
  {
    ASSERT_OK_AND_ASSIGN(auto out, arrow::io::FileOutputStream::Open(dir.File("d.parquet")));
    // A small dictionary page limit makes the comments fall back to plain pages.
    auto props = parquet::WriterProperties::Builder().dictionary_pagesize_limit(4096)->build();
    ASSERT_OK(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, 6000, props));
    ASSERT_OK(out->Close());
  }
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(ParquetSpec(dir.File("d.parquet"))));
  EXPECT_TRUE(source->schema()->Equals(*schema)) << source->schema()->ToString();
  ASSERT_OK_AND_ASSIGN(auto read, ReadTable(*source));
  ASSERT_OK_AND_ASSIGN(read, read->CombineChunks());
  ASSERT_OK_AND_ASSIGN(auto expected, table->CombineChunks());
  EXPECT_TRUE(read->Equals(*expected));
  // The dictionary tells the distinct values only of a column whose pages all use it.
  ASSERT_OK_AND_ASSIGN(auto parquet, ParquetSource::Make(ParquetSpec(dir.File("d.parquet"))));
  std::map<std::string, int64_t> distinct;
  for (const auto& [name, stats] : parquet->ColumnStatistics()) {
    EXPECT_FALSE(stats.range.has_value()) << name;
    if (stats.distinct) distinct[name] = *stats.distinct;
  }
  EXPECT_EQ(distinct, (std::map<std::string, int64_t>{{"mode", 2}}));
}

// A file of one row group is its first row group: a dictionary of distinct names (a
// dimension table's) counts them; in a file of several row groups only a small dictionary
// counts, as the first row group's distinct names undercount the file's.
TEST(ParquetSource, DistinctValuesOfADimensionTablesNames) {
  TempDir dir;
  arrow::StringBuilder names;
  for (int i = 0; i < 25; ++i) ASSERT_OK(names.Append("NATION " + std::to_string(i)));
  auto schema = arrow::schema({arrow::field("name", arrow::utf8())});
  auto table = arrow::Table::Make(schema, {*names.Finish()});
  std::map<int64_t, std::optional<int64_t>> distinct;  // by rows per row group
  for (int64_t rows_per_group : {25, 10}) {
    const std::string path = dir.File("n" + std::to_string(rows_per_group) + ".parquet");
    {
      ASSERT_OK_AND_ASSIGN(auto out, arrow::io::FileOutputStream::Open(path));
      ASSERT_OK(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, rows_per_group));
      ASSERT_OK(out->Close());
    }
    ASSERT_OK_AND_ASSIGN(auto parquet, ParquetSource::Make(ParquetSpec(path)));
    const auto stats = parquet->ColumnStatistics();
    distinct[rows_per_group] = stats.count("name") ? stats.at("name").distinct : std::nullopt;
  }
  EXPECT_EQ(distinct[25], 25);
  EXPECT_EQ(distinct[10], std::nullopt);
}

// Ranges come from every row group's statistics: numbers, dates in days, decimals stored
// as integers scaled; strings have none.
TEST(ParquetSource, ValueRangesFromRowGroupStatistics) {
  TempDir dir;
  auto schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("day", arrow::date32()),
                               arrow::field("price", arrow::decimal128(12, 2)), arrow::field("name", arrow::utf8())});
  auto table = arrow::Table::Make(
      schema, {ArrayFromJSON(arrow::int64(), "[5, -3, 40, 7]"), ArrayFromJSON(arrow::date32(), "[100, 90, 300, 95]"),
               ArrayFromJSON(arrow::decimal128(12, 2), R"(["1.50", "0.25", "9.75", "2.00"])"),
               ArrayFromJSON(arrow::utf8(), R"(["a", "b", "c", "d"])")});
  {
    ASSERT_OK_AND_ASSIGN(auto out, arrow::io::FileOutputStream::Open(dir.File("r.parquet")));
    auto props = parquet::WriterProperties::Builder().enable_store_decimal_as_integer()->build();
    ASSERT_OK(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, 2, props));
    ASSERT_OK(out->Close());
  }
  ASSERT_OK_AND_ASSIGN(auto parquet, ParquetSource::Make(ParquetSpec(dir.File("r.parquet"))));
  using Range = std::pair<double, double>;
  std::map<std::string, Range> ranges;
  for (const auto& [name, stats] : parquet->ColumnStatistics()) {
    EXPECT_FALSE(stats.distinct.has_value()) << name;
    if (stats.range) ranges[name] = *stats.range;
  }
  EXPECT_EQ(ranges, (std::map<std::string, Range>{{"id", {-3, 40}}, {"day", {90, 300}}, {"price", {0.25, 9.75}}}));
}

TEST(ParquetSource, MissingFile) {
  TempDir dir;
  auto source = MakeSource(ParquetSpec(dir.File("gone.parquet")));
  ASSERT_TRUE(source.status().IsIOError());
  EXPECT_EQ(source.status().message(), "file not found: " + dir.File("gone.parquet"));
}

}  // namespace
}  // namespace sabot
