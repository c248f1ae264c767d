// Decimal columns read as float64 (SourceSpec::read_as): the Parquet source's doubles are
// what sabot_decimal_to_float64 makes of the decimals Arrow's reader gives, bit for bit,
// whatever the storage (INT32, INT64, fixed-size binary), pages (dictionary, plain, both),
// scale, sign and nulls.
#include <cstring>
#include <random>

#include <arrow/api.h>
#include <arrow/compute/exec.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>
#include <parquet/column_reader.h>
#include <parquet/file_reader.h>
#include <parquet/properties.h>

#include "sabot/expr/decimal_to_float64.h"
#include "sabot/io/parquet_flat_column.h"
#include "sabot/io/source_factory.h"
#include "sabot/io/tests/read_all.h"

namespace sabot {
namespace {

using ::sabot::testing::ReadTable;
using ::sabot::testing::TempDir;

enum class Pages { kDictionary, kPlain, kDictionaryThenPlain };

constexpr int64_t kRows = 10'000;

// `rows` decimals of (precision, scale), negative ones too, some at the largest magnitude
// the precision allows; drawn from `distinct` values (so a dictionary holds them) unless
// it is 0; about one in seven null when `nulls`.
std::shared_ptr<arrow::Array> Decimals(int precision, int scale, bool nulls, int distinct, uint64_t seed) {
  std::mt19937_64 random(seed);
  int64_t largest = 1;
  for (int i = 0; i < precision; ++i) largest *= 10;
  largest -= 1;
  std::uniform_int_distribution<int64_t> any(-largest, largest);
  std::vector<int64_t> pool;
  for (int i = 0; i < (distinct ? distinct : 1); ++i) pool.push_back(any(random));
  pool.push_back(largest);
  pool.push_back(-largest);
  pool.push_back(0);
  arrow::Decimal128Builder builder(arrow::decimal128(precision, scale));
  for (int64_t i = 0; i < kRows; ++i) {
    if (nulls && random() % 7 == 0) {
      EXPECT_TRUE(builder.AppendNull().ok());
      continue;
    }
    const int64_t v = distinct ? pool[random() % pool.size()] : (random() % 50 == 0 ? pool[random() % pool.size()]
                                                                                   : any(random));
    EXPECT_TRUE(builder.Append(arrow::Decimal128(v)).ok());
  }
  std::shared_ptr<arrow::Array> out;
  EXPECT_TRUE(builder.Finish(&out).ok());
  return out;
}

Status Write(const std::string& path, const std::shared_ptr<arrow::Array>& decimals, Pages pages, bool as_integer) {
  auto schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("d", decimals->type())});
  arrow::Int64Builder ids;
  for (int64_t i = 0; i < decimals->length(); ++i) ARROW_RETURN_NOT_OK(ids.Append(i));
  ARROW_ASSIGN_OR_RAISE(auto id_array, ids.Finish());
  auto table = arrow::Table::Make(schema, {id_array, decimals});
  parquet::WriterProperties::Builder props;
  if (as_integer) props.enable_store_decimal_as_integer();
  props.data_pagesize(1024);  // several pages per row group
  if (pages == Pages::kPlain) props.disable_dictionary();
  // A dictionary page this small fills up early: the later pages are plain.
  if (pages == Pages::kDictionaryThenPlain) props.dictionary_pagesize_limit(256);
  ARROW_ASSIGN_OR_RAISE(auto out, arrow::io::FileOutputStream::Open(path));
  ARROW_RETURN_NOT_OK(
      parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, /*chunk_size=*/4096, props.build()));
  return out->Close();
}

SourceSpec ReadAsFloat64(const std::string& path) {
  SourceSpec spec;
  spec.format = FileFormat::kParquet;
  spec.path = path;
  spec.columns = {"id", "d"};
  spec.read_as = {arrow::field("d", arrow::float64())};
  return spec;
}

// The source's d column against the cast kernel over `decimals`: same nulls, same bits.
void ExpectKernelValues(const std::string& path, const std::shared_ptr<arrow::Array>& decimals) {
  ASSERT_OK(RegisterDecimalToFloat64());
  ASSERT_OK_AND_ASSIGN(auto cast, arrow::compute::CallFunction(kDecimalToFloat64, {decimals}));
  const auto expected_array = cast.make_array();
  const auto& expected = static_cast<const arrow::DoubleArray&>(*expected_array);
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(ReadAsFloat64(path)));
  ASSERT_TRUE(source->schema()->field(1)->type()->Equals(arrow::float64()));
  ASSERT_OK_AND_ASSIGN(auto table, ReadTable(*source));
  ASSERT_OK_AND_ASSIGN(table, table->CombineChunks());
  ASSERT_EQ(table->num_rows(), expected.length());
  ASSERT_TRUE(table->column(1)->type()->Equals(arrow::float64()));
  const auto& got = static_cast<const arrow::DoubleArray&>(*table->column(1)->chunk(0));
  ASSERT_EQ(got.null_count(), expected.null_count());
  for (int64_t i = 0; i < expected.length(); ++i) {
    ASSERT_EQ(got.IsNull(i), expected.IsNull(i)) << "row " << i;
    if (expected.IsNull(i)) continue;
    const double a = got.Value(i), b = expected.Value(i);
    ASSERT_EQ(std::memcmp(&a, &b, sizeof a), 0) << "row " << i << ": " << a << " vs " << b << " ("
                                                << decimals->GetScalar(i).ValueOrDie()->ToString() << ")";
  }
}

// Whether the first row group's d column is read by FlatColumnReader (else Arrow's reader
// and the kernel), and how it is stored.
struct Storage {
  bool flat = false;
  bool dictionary_only = false;  // every data page uses the dictionary
  parquet::Type::type physical = parquet::Type::UNDEFINED;
};

Storage StorageOf(const std::string& path) {
  auto file = parquet::ParquetFileReader::OpenFile(path);
  auto row_group = file->RowGroup(0);
  Storage storage;
  storage.physical = file->metadata()->schema()->Column(1)->physical_type();
  storage.flat = FlatColumnReader::MakeIfEligible(*row_group, 1, arrow::float64(), false) != nullptr;
  storage.dictionary_only = row_group->ColumnWithExposeEncoding(1, parquet::ExposedEncoding::DICTIONARY)
                                ->GetExposedEncoding() == parquet::ExposedEncoding::DICTIONARY;
  return storage;
}

void CheckEveryScale(int precision, parquet::Type::type physical) {
  TempDir dir;
  uint64_t seed = 1;
  for (int scale = 0; scale <= std::min(precision, 18); ++scale) {
    for (Pages pages : {Pages::kDictionary, Pages::kPlain, Pages::kDictionaryThenPlain}) {
      for (bool nulls : {false, true}) {
        SCOPED_TRACE("precision " + std::to_string(precision) + " scale " + std::to_string(scale) + " pages " +
                     std::to_string(static_cast<int>(pages)) + (nulls ? " with nulls" : ""));
        const int distinct = pages == Pages::kPlain ? 0 : (pages == Pages::kDictionary ? 40 : 2000);
        auto decimals = Decimals(precision, scale, nulls, distinct, seed++);
        const std::string path = dir.File("d" + std::to_string(seed) + ".parquet");
        ASSERT_OK(Write(path, decimals, pages, /*as_integer=*/true));
        const Storage storage = StorageOf(path);
        ASSERT_EQ(storage.physical, physical);
        EXPECT_TRUE(storage.flat);
        EXPECT_EQ(storage.dictionary_only, pages == Pages::kDictionary);
        ExpectKernelValues(path, decimals);
      }
    }
  }
}

TEST(ParquetDecimalAsFloat64, Int32DecimalsMatchTheCastKernel) { CheckEveryScale(9, parquet::Type::INT32); }

// Precision 18 holds unscaled values past 2^53, which the kernel converts with Arrow's
// general conversion: so does the reader.
TEST(ParquetDecimalAsFloat64, Int64DecimalsMatchTheCastKernel) { CheckEveryScale(18, parquet::Type::INT64); }

TEST(ParquetDecimalAsFloat64, TpchDecimalsMatchTheCastKernel) {
  TempDir dir;
  auto decimals = Decimals(15, 2, /*nulls=*/false, /*distinct=*/11, 7);
  ASSERT_OK(Write(dir.File("t.parquet"), decimals, Pages::kDictionary, /*as_integer=*/true));
  ExpectKernelValues(dir.File("t.parquet"), decimals);
}

TEST(ParquetDecimalAsFloat64, FixedSizeBinaryDecimalsTakeArrowsReaderAndTheKernel) {
  TempDir dir;
  for (bool nulls : {false, true}) {
    auto decimals = Decimals(15, 4, nulls, /*distinct=*/0, 3);
    const std::string path = dir.File(nulls ? "n.parquet" : "f.parquet");
    ASSERT_OK(Write(path, decimals, Pages::kPlain, /*as_integer=*/false));
    const Storage storage = StorageOf(path);
    EXPECT_EQ(storage.physical, parquet::Type::FIXED_LEN_BYTE_ARRAY);
    EXPECT_FALSE(storage.flat);
    ExpectKernelValues(path, decimals);
  }
}

TEST(ParquetDecimalAsFloat64, TheSourceSaysWhichDecimalsItReadsNatively) {
  TempDir dir;
  auto decimals = Decimals(15, 2, false, 5, 1);
  for (bool as_integer : {true, false}) {
    const std::string path = dir.File(as_integer ? "i.parquet" : "f.parquet");
    ASSERT_OK(Write(path, decimals, Pages::kDictionary, as_integer));
    auto spec = ReadAsFloat64(path);
    spec.read_as.clear();
    ASSERT_OK_AND_ASSIGN(auto source, MakeSource(spec));
    const auto native = source->NativeReadTypes();
    if (as_integer) {
      ASSERT_EQ(native.size(), 1u);
      EXPECT_TRUE(native[0]->Equals(arrow::field("d", arrow::float64())));
    } else {
      EXPECT_TRUE(native.empty());  // fixed-size binary: reading as float64 saves nothing
    }
  }
}

TEST(ParquetDecimalAsFloat64, TheSchemaChangesOnlyInTheColumnsReadAs) {
  TempDir dir;
  ASSERT_OK(Write(dir.File("t.parquet"), Decimals(9, 2, false, 5, 1), Pages::kDictionary, true));
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(ReadAsFloat64(dir.File("t.parquet"))));
  EXPECT_TRUE(source->schema()->Equals(
      *arrow::schema({arrow::field("id", arrow::int64()), arrow::field("d", arrow::float64())})))
      << source->schema()->ToString();
}

TEST(ParquetDecimalAsFloat64, OnlyDecimalColumnsThatAreReadCanBeReadAs) {
  TempDir dir;
  ASSERT_OK(Write(dir.File("t.parquet"), Decimals(9, 2, false, 5, 1), Pages::kDictionary, true));
  auto spec = ReadAsFloat64(dir.File("t.parquet"));
  spec.read_as = {arrow::field("id", arrow::float64())};
  auto not_decimal = MakeSource(spec);
  ASSERT_FALSE(not_decimal.ok());
  EXPECT_HAS_SUBSTR(not_decimal.status().message(), "column 'id' cannot be read as float64: it is int64");
  spec.read_as = {arrow::field("d", arrow::float64())};
  spec.columns = {"id"};
  auto not_read = MakeSource(spec);
  ASSERT_FALSE(not_read.ok());
  EXPECT_HAS_SUBSTR(not_read.status().message(), "read_as names column 'd', which is not read");
}

}  // namespace
}  // namespace sabot
