// Tests for CsvSource: inference, explicit schema, projection, globs and error messages.
#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/io/source_factory.h"
#include "sabot/io/tests/read_all.h"

namespace sabot {
namespace {

using ::sabot::testing::ArrayFromJSON;
using ::sabot::testing::ReadAll;
using ::sabot::testing::ReadTable;
using ::sabot::testing::TempDir;

SourceSpec CsvSpec(const std::string& path) {
  SourceSpec spec;
  spec.kind = SourceSpec::Kind::kFile;
  spec.format = FileFormat::kCsv;
  spec.path = path;
  return spec;
}

// The error of making the source or of reading it to the end.
Status MakeAndRead(const SourceSpec& spec) {
  ARROW_ASSIGN_OR_RAISE(auto source, MakeSource(spec));
  return ReadAll(*source).status();
}

TEST(CsvSource, InfersSchemaAndReadsValues) {
  TempDir dir;
  auto path = dir.Write("data.csv", "a,b,c\n1,x,1.5\n2,y,2.5\n3,z,-1\n");
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(CsvSpec(path)));
  EXPECT_TRUE(source->bounded());
  EXPECT_EQ(source->schema()->ToString(), "a: int64\nb: string\nc: double");
  ASSERT_OK_AND_ASSIGN(auto table, ReadTable(*source));
  EXPECT_EQ(table->num_rows(), 3);
  auto a = std::static_pointer_cast<arrow::Int64Array>(table->column(0)->chunk(0));
  auto b = std::static_pointer_cast<arrow::StringArray>(table->column(1)->chunk(0));
  auto c = std::static_pointer_cast<arrow::DoubleArray>(table->column(2)->chunk(0));
  EXPECT_EQ(a->Value(2), 3);
  EXPECT_EQ(b->GetString(1), "y");
  EXPECT_DOUBLE_EQ(c->Value(0), 1.5);
}

TEST(CsvSource, DirectoryAndGlobReadFilesInSortedOrderSkippingHidden) {
  TempDir dir;
  dir.Write("b.csv", "k\n3\n4\n");
  dir.Write("a.csv", "k\n1\n2\n");
  dir.Write(".hidden.csv", "k\n99\n");
  for (const std::string& path : {dir.path(), dir.File("*.csv")}) {
    ASSERT_OK_AND_ASSIGN(auto source, MakeSource(CsvSpec(path)));
    ASSERT_OK_AND_ASSIGN(auto splits, source->Splits());
    EXPECT_EQ(splits.size(), 2u) << path;
    ASSERT_OK_AND_ASSIGN(auto table, ReadTable(*source));
    ASSERT_OK_AND_ASSIGN(auto k, arrow::Concatenate(table->column(0)->chunks()));
    auto expected = ArrayFromJSON(arrow::int64(), "[1, 2, 3, 4]");
    EXPECT_TRUE(k->Equals(*expected)) << k->ToString();
  }
}

TEST(CsvSource, ExplicitSchemaWithProjectionInRequestedOrder) {
  TempDir dir;
  auto path = dir.Write("data.csv", "a,b,c\n1,x,7\n2,y,8\n");
  auto spec = CsvSpec(path);
  spec.schema = arrow::schema({arrow::field("a", arrow::int32()), arrow::field("b", arrow::utf8()),
                               arrow::field("c", arrow::float32())});
  spec.columns = {"c", "a"};
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(spec));
  EXPECT_EQ(source->schema()->ToString(), "c: float\na: int32");
  ASSERT_OK_AND_ASSIGN(auto table, ReadTable(*source));
  auto c = std::static_pointer_cast<arrow::FloatArray>(table->column(0)->chunk(0));
  auto a = std::static_pointer_cast<arrow::Int32Array>(table->column(1)->chunk(0));
  EXPECT_FLOAT_EQ(c->Value(1), 8.0f);
  EXPECT_EQ(a->Value(0), 1);
}

TEST(CsvSource, NoHeaderNamesColumnsAndCustomDelimiter) {
  TempDir dir;
  auto path = dir.Write("data.csv", "1;hello\n2;world\n");
  auto spec = CsvSpec(path);
  spec.csv.header = false;
  spec.csv.delimiter = ';';
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(spec));
  EXPECT_EQ(source->schema()->ToString(), "f0: int64\nf1: string");
  ASSERT_OK_AND_ASSIGN(auto drained, ReadAll(*source));
  EXPECT_EQ(drained.num_rows, 2);
}

TEST(CsvSource, ByteOrderMarkAndEmptyLaterFile) {
  TempDir dir;
  dir.Write("1.csv", "\xEF\xBB\xBF" "a,b\n1,2\n");
  dir.Write("2.csv", "");  // zero bytes: no header, no rows, not an error
  dir.Write("3.csv", "a,b\n3,4\n");
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(CsvSpec(dir.path())));
  EXPECT_EQ(source->schema()->field(0)->name(), "a");
  ASSERT_OK_AND_ASSIGN(auto drained, ReadAll(*source));
  EXPECT_EQ(drained.num_rows, 2);
}

TEST(CsvSource, HeaderOnlyFileHasSchemaAndNoRows) {
  TempDir dir;
  auto path = dir.Write("empty.csv", "a,b\n");
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(CsvSpec(path)));
  EXPECT_EQ(source->schema()->num_fields(), 2);
  EXPECT_EQ(source->schema()->field(1)->name(), "b");
  ASSERT_OK_AND_ASSIGN(auto drained, ReadAll(*source));
  EXPECT_EQ(drained.num_rows, 0);
}

TEST(CsvSource, MalformedRowNamesFileAndLine) {
  TempDir dir;
  auto path = dir.Write("data.csv", "a,b,c\n1,2,3\n4,5\n6,7,8\n");
  Status st = MakeAndRead(CsvSpec(path));
  ASSERT_FALSE(st.ok());
  EXPECT_HAS_SUBSTR(st.message(), (path + ": line 3: expected 3 columns, found 2: 4,5"));
}

TEST(CsvSource, MalformedRowInLaterBlockNamesLine) {
  TempDir dir;
  std::string text = "a,b\n";
  for (int i = 0; i < 200000; ++i) text += std::to_string(i) + ",x\n";
  text += "1,2,3\n";  // line 200002
  auto path = dir.Write("big.csv", text);
  Status st = MakeAndRead(CsvSpec(path));
  ASSERT_FALSE(st.ok());
  EXPECT_HAS_SUBSTR(st.message(), (path + ": line 200002: expected 2 columns, found 3"));
}

TEST(CsvSource, ConversionErrorNamesFileAndColumn) {
  TempDir dir;
  auto path = dir.Write("data.csv", "a,b\n1,x\nabc,y\n");
  auto spec = CsvSpec(path);
  spec.schema = arrow::schema({arrow::field("a", arrow::int64()), arrow::field("b", arrow::utf8())});
  Status st = MakeAndRead(spec);
  ASSERT_FALSE(st.ok());
  EXPECT_HAS_SUBSTR(st.message(), (path + ": column 'a'"));
  EXPECT_HAS_SUBSTR(st.message(), ("abc"));
}

TEST(CsvSource, TypeMismatchAcrossGlobFilesNamesFileAndColumn) {
  TempDir dir;
  dir.Write("1.csv", "id,x\n1,10\n2,20\n");
  auto second = dir.Write("2.csv", "id,x\n3,hello\n");
  Status st = MakeAndRead(CsvSpec(dir.File("*.csv")));
  ASSERT_FALSE(st.ok());
  EXPECT_HAS_SUBSTR(st.message(), (second + ": column 'x' (expected int64 as in "));
  EXPECT_HAS_SUBSTR(st.message(), ("hello"));
}

TEST(CsvSource, ColumnsDifferAcrossFilesNamesBoth) {
  TempDir dir;
  dir.Write("1.csv", "id,x\n1,10\n");
  auto second = dir.Write("2.csv", "id,y\n3,4\n");
  Status st = MakeAndRead(CsvSpec(dir.path()));
  ASSERT_FALSE(st.ok());
  EXPECT_HAS_SUBSTR(st.message(), (second + ": columns differ"));
  EXPECT_HAS_SUBSTR(st.message(), ("expected [id, x], found [id, y]"));
}

TEST(CsvSource, UnknownColumnIsNamedWithAvailableColumns) {
  TempDir dir;
  auto path = dir.Write("data.csv", "a,b,c\n1,2,3\n");
  auto spec = CsvSpec(path);
  spec.columns = {"a", "nope"};
  auto source = MakeSource(spec);
  ASSERT_FALSE(source.ok());
  EXPECT_HAS_SUBSTR(source.status().message(), ("unknown column 'nope'"));
  EXPECT_HAS_SUBSTR(source.status().message(), ("available columns: a, b, c"));
}

TEST(CsvSource, MissingFileAndEmptyGlob) {
  TempDir dir;
  auto missing = MakeSource(CsvSpec(dir.File("nope.csv")));
  ASSERT_TRUE(missing.status().IsIOError());
  EXPECT_EQ(missing.status().message(), "file not found: " + dir.File("nope.csv"));
  auto glob = MakeSource(CsvSpec(dir.File("*.csv")));
  ASSERT_TRUE(glob.status().IsIOError());
  EXPECT_EQ(glob.status().message(), "no files match '" + dir.File("*.csv") + "'");
}

}  // namespace
}  // namespace sabot
