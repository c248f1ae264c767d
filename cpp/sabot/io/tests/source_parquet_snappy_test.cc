// ParquetSource over Snappy-compressed files, whose flat columns Sabot decompresses
// itself (parquet_snappy_pages.h): the same rows as from the uncompressed file and as
// Arrow reads them, for version 1 and 2 pages; a corrupt page is an error naming the
// file and the column.
#include <filesystem>
#include <fstream>
#include <random>

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <arrow/util/compression.h>
#include <parquet/column_page.h>
#include <parquet/column_reader.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include "sabot/io/parquet_snappy_pages.h"
#include "sabot/io/parquet_source.h"
#include "sabot/io/source_factory.h"
#include "sabot/io/tests/read_all.h"

namespace sabot {
namespace {

using ::sabot::testing::ReadTable;
using ::sabot::testing::TempDir;

// Columns of the kinds the flat readers take (no nulls: integers, doubles, dates,
// strings of a small dictionary; decimals stored as integers, with nulls) beside ones
// Arrow's reader keeps (a nullable integer, mostly distinct strings).
std::shared_ptr<arrow::Table> MixedTable(int64_t rows) {
  std::mt19937_64 gen(42);
  arrow::Int64Builder id, key, maybe;
  arrow::Int32Builder qty;
  arrow::DoubleBuilder price;
  arrow::Date32Builder day;
  arrow::StringBuilder mode, note;
  arrow::Decimal128Builder amount(arrow::decimal128(12, 2));
  for (int64_t i = 0; i < rows; ++i) {
    EXPECT_TRUE(id.Append(i).ok());
    EXPECT_TRUE(key.Append(static_cast<int64_t>(gen() % (1 << 20))).ok());  // short Snappy tags
    EXPECT_TRUE(qty.Append(static_cast<int32_t>(gen() % 50)).ok());
    EXPECT_TRUE(price.Append(static_cast<double>(gen() % 100000) / 100.0).ok());
    EXPECT_TRUE(day.Append(static_cast<int32_t>(8000 + gen() % 2500)).ok());
    EXPECT_TRUE(mode.Append(i % 3 == 0 ? "MAIL" : (i % 3 == 1 ? "TRUCK" : "AIR")).ok());
    EXPECT_TRUE(note.Append("note " + std::to_string(gen() % 1000000)).ok());
    EXPECT_TRUE((i % 11 == 0 ? amount.AppendNull() : amount.Append(arrow::Decimal128(static_cast<int64_t>(gen() % 10000000)))).ok());
    EXPECT_TRUE((i % 13 == 0 ? maybe.AppendNull() : maybe.Append(i * 3)).ok());
  }
  auto schema = arrow::schema({arrow::field("id", arrow::int64(), false), arrow::field("key", arrow::int64(), false),
                               arrow::field("qty", arrow::int32(), false), arrow::field("price", arrow::float64(), false),
                               arrow::field("day", arrow::date32(), false), arrow::field("mode", arrow::utf8(), false),
                               arrow::field("note", arrow::utf8(), false), arrow::field("amount", arrow::decimal128(12, 2)),
                               arrow::field("maybe", arrow::int64())});
  return arrow::Table::Make(schema, {*id.Finish(), *key.Finish(), *qty.Finish(), *price.Finish(), *day.Finish(),
                                     *mode.Finish(), *note.Finish(), *amount.Finish(), *maybe.Finish()});
}

Status Write(const std::string& path, const arrow::Table& table, arrow::Compression::type codec,
             parquet::ParquetDataPageVersion pages) {
  ARROW_ASSIGN_OR_RAISE(auto out, arrow::io::FileOutputStream::Open(path));
  auto props = parquet::WriterProperties::Builder()
                   .compression(codec)
                   ->data_pagesize(8192)  // many pages per chunk
                   ->data_page_version(pages)
                   ->enable_store_decimal_as_integer()
                   ->build();
  ARROW_RETURN_NOT_OK(parquet::arrow::WriteTable(table, arrow::default_memory_pool(), out, 10000, props));
  return out->Close();
}

Result<std::shared_ptr<arrow::Table>> ReadWithSabot(const std::string& path) {
  SourceSpec spec;
  spec.format = FileFormat::kParquet;
  spec.path = path;
  spec.read_as = {arrow::field("amount", arrow::float64())};
  ARROW_ASSIGN_OR_RAISE(auto source, MakeSource(spec));
  ARROW_ASSIGN_OR_RAISE(auto table, ReadTable(*source));
  return table->CombineChunks();
}

class ParquetSnappyPages : public ::testing::TestWithParam<parquet::ParquetDataPageVersion> {};

TEST_P(ParquetSnappyPages, SameRowsAsUncompressedAndAsArrowReadsThem) {
  TempDir dir;
  auto table = MixedTable(25000);  // row groups of 10000, 10000, 5000
  ASSERT_OK(Write(dir.File("snappy.parquet"), *table, arrow::Compression::SNAPPY, GetParam()));
  ASSERT_OK(Write(dir.File("plain.parquet"), *table, arrow::Compression::UNCOMPRESSED, GetParam()));
  ASSERT_OK_AND_ASSIGN(auto from_snappy, ReadWithSabot(dir.File("snappy.parquet")));
  ASSERT_OK_AND_ASSIGN(auto from_plain, ReadWithSabot(dir.File("plain.parquet")));
  ASSERT_EQ(from_snappy->num_rows(), 25000);
  EXPECT_TRUE(from_snappy->Equals(*from_plain));
  // Every column but the decimal one (read as float64) is the table written.
  ASSERT_OK_AND_ASSIGN(auto expected, table->CombineChunks());
  for (int c = 0; c < expected->num_columns(); ++c) {
    const std::string& name = expected->field(c)->name();
    if (name == "amount") continue;
    EXPECT_TRUE(from_snappy->GetColumnByName(name)->Equals(*expected->column(c))) << name;
  }
  // The decimals as float64, nulls where the table has them.
  const auto& amount = *from_snappy->GetColumnByName("amount")->chunk(0);
  const auto& written = static_cast<const arrow::Decimal128Array&>(*expected->GetColumnByName("amount")->chunk(0));
  ASSERT_EQ(amount.null_count(), written.null_count());
  const auto& doubles = static_cast<const arrow::DoubleArray&>(amount);
  for (int64_t i = 0; i < written.length(); i += 997) {
    ASSERT_EQ(doubles.IsNull(i), written.IsNull(i)) << i;
    if (!written.IsNull(i)) {
      EXPECT_DOUBLE_EQ(doubles.Value(i), std::stod(written.FormatValue(i))) << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(PageVersions, ParquetSnappyPages,
                         ::testing::Values(parquet::ParquetDataPageVersion::V1, parquet::ParquetDataPageVersion::V2));

// Pages handed over one by one, as a page reader over a file would.
class ListedPages final : public parquet::PageReader {
 public:
  explicit ListedPages(std::vector<std::shared_ptr<parquet::Page>> pages) : pages_(std::move(pages)) {}
  std::shared_ptr<parquet::Page> NextPage() override { return next_ < pages_.size() ? pages_[next_++] : nullptr; }
  void set_max_page_header_size(uint32_t) override {}

 private:
  std::vector<std::shared_ptr<parquet::Page>> pages_;
  size_t next_ = 0;
};

std::shared_ptr<arrow::Buffer> Bytes(const std::string& text) { return arrow::Buffer::FromString(text); }

std::string SnappyOf(const std::string& raw) {
  auto codec = arrow::util::Codec::Create(arrow::Compression::SNAPPY).ValueOrDie();
  std::string out(static_cast<size_t>(codec->MaxCompressedLen(static_cast<int64_t>(raw.size()), nullptr)), '\0');
  auto n = codec->Compress(static_cast<int64_t>(raw.size()), reinterpret_cast<const uint8_t*>(raw.data()),
                           static_cast<int64_t>(out.size()), reinterpret_cast<uint8_t*>(out.data()));
  out.resize(static_cast<size_t>(n.ValueOrDie()));
  return out;
}

std::string Text(const parquet::Page& page) { return std::string(reinterpret_cast<const char*>(page.data()), page.size()); }

// Each kind of page comes out with its bytes decompressed and its header fields kept;
// a version 2 page keeps its levels as stored, and one flagged uncompressed is left as is.
TEST(ParquetSnappyPageReader, DecompressesEachKindOfPage) {
  const std::string dictionary(300, 'd'), values = "values values values values", levels = "LEVELS";
  std::vector<std::shared_ptr<parquet::Page>> stored = {
      std::make_shared<parquet::DictionaryPage>(Bytes(SnappyOf(dictionary)), 7, parquet::Encoding::PLAIN, true),
      std::make_shared<parquet::DataPageV1>(Bytes(SnappyOf(values)), 11, parquet::Encoding::RLE_DICTIONARY,
                                            parquet::Encoding::RLE, parquet::Encoding::BIT_PACKED,
                                            static_cast<int64_t>(values.size())),
      std::make_shared<parquet::DataPageV2>(Bytes(levels + SnappyOf(values)), 13, 2, 13, parquet::Encoding::PLAIN,
                                            /*definition_levels_byte_length=*/4, /*repetition_levels_byte_length=*/2,
                                            static_cast<int64_t>(levels.size() + values.size()), /*is_compressed=*/true),
      std::make_shared<parquet::DataPageV2>(Bytes(levels + values), 13, 0, 13, parquet::Encoding::PLAIN, 4, 2,
                                            static_cast<int64_t>(levels.size() + values.size()), /*is_compressed=*/false)};
  auto pages = MakeSnappyPageReader(std::make_unique<ListedPages>(stored), "c");

  auto page = pages->NextPage();
  ASSERT_EQ(page->type(), parquet::PageType::DICTIONARY_PAGE);
  const auto& dict = static_cast<const parquet::DictionaryPage&>(*page);
  EXPECT_EQ(Text(dict), dictionary);
  EXPECT_EQ(dict.num_values(), 7);
  EXPECT_TRUE(dict.is_sorted());

  page = pages->NextPage();
  ASSERT_EQ(page->type(), parquet::PageType::DATA_PAGE);
  const auto& v1 = static_cast<const parquet::DataPageV1&>(*page);
  EXPECT_EQ(Text(v1), values);
  EXPECT_EQ(v1.num_values(), 11);
  EXPECT_EQ(v1.encoding(), parquet::Encoding::RLE_DICTIONARY);
  EXPECT_EQ(v1.repetition_level_encoding(), parquet::Encoding::BIT_PACKED);

  page = pages->NextPage();
  ASSERT_EQ(page->type(), parquet::PageType::DATA_PAGE_V2);
  const auto& v2 = static_cast<const parquet::DataPageV2&>(*page);
  EXPECT_EQ(Text(v2), levels + values);
  EXPECT_EQ(v2.num_nulls(), 2);
  EXPECT_EQ(v2.definition_levels_byte_length(), 4);

  page = pages->NextPage();
  EXPECT_EQ(page, stored[3]);
  EXPECT_EQ(pages->NextPage(), nullptr);
}

TEST(ParquetSnappyPageReader, LevelsLongerThanThePageAreAnError) {
  const std::string values = "some values";
  std::vector<std::shared_ptr<parquet::Page>> stored = {std::make_shared<parquet::DataPageV2>(
      Bytes(SnappyOf(values)), 3, 0, 3, parquet::Encoding::PLAIN, 4000, 0, 4011, /*is_compressed=*/true)};
  auto pages = MakeSnappyPageReader(std::make_unique<ListedPages>(stored), "price");
  try {
    pages->NextPage();
    FAIL() << "expected an error";
  } catch (const parquet::ParquetException& e) {
    EXPECT_HAS_SUBSTR(e.what(), "column price: page levels of 4000 bytes exceed the page");
  }
}

// Writes `table` Snappy-compressed without dictionaries (one page per chunk), then
// overwrites the second half of row group 0's chunk of column 0 with 0xFF bytes: a
// copy tag reaching 4 GiB back.
void WriteDamaged(const std::string& path, const arrow::Table& table) {
  {
    ASSERT_OK_AND_ASSIGN(auto out, arrow::io::FileOutputStream::Open(path));
    auto props = parquet::WriterProperties::Builder().compression(arrow::Compression::SNAPPY)->disable_dictionary()->build();
    ASSERT_OK(parquet::arrow::WriteTable(table, arrow::default_memory_pool(), out, table.num_rows(), props));
    ASSERT_OK(out->Close());
  }
  int64_t start = 0, length = 0;
  {
    auto reader = parquet::ParquetFileReader::OpenFile(path);
    auto chunk = reader->metadata()->RowGroup(0)->ColumnChunk(0);
    start = chunk->data_page_offset();
    length = chunk->total_compressed_size();
  }
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(start + length / 2);
  const std::string junk(static_cast<size_t>(length / 4), '\xFF');
  file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
}

void ExpectDamageReported(const std::string& path, const std::string& column) {
  SourceSpec spec;
  spec.format = FileFormat::kParquet;
  spec.path = path;
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(spec));
  auto read = ReadTable(*source);
  ASSERT_FALSE(read.ok());
  EXPECT_HAS_SUBSTR(read.status().message(), path + ": not a valid Parquet file");
  EXPECT_HAS_SUBSTR(read.status().message(), "column " + column + ": corrupt Snappy block");
}

// A damaged page fails the read, naming the file and the column: on the flat readers'
// path (a column without nulls) and on Arrow's record reader (a column with nulls),
// which get their pages from the same decoder.
TEST(ParquetSnappyPagesCorrupt, DamagedPageNamesFileAndColumn) {
  TempDir dir;
  auto table = MixedTable(5000);
  WriteDamaged(dir.File("flat.parquet"), *table->SelectColumns({1}).ValueOrDie());  // "key": short tags all along
  ExpectDamageReported(dir.File("flat.parquet"), "key");
  arrow::Int64Builder sparse;
  std::mt19937_64 gen(9);
  for (int i = 0; i < 5000; ++i) {
    ASSERT_OK(i % 10 == 0 ? sparse.AppendNull() : sparse.Append(static_cast<int64_t>(gen() % (1 << 20))));
  }
  auto nullable = arrow::Table::Make(arrow::schema({arrow::field("sparse", arrow::int64())}), {*sparse.Finish()});
  WriteDamaged(dir.File("nullable.parquet"), *nullable);
  ExpectDamageReported(dir.File("nullable.parquet"), "sparse");
}

}  // namespace
}  // namespace sabot
