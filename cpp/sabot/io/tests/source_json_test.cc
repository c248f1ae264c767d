// Tests for JsonSource: JSON lines inference, explicit schema, projection and errors.
#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/io/source_factory.h"
#include "sabot/io/tests/read_all.h"

namespace sabot {
namespace {

using ::sabot::testing::ReadAll;
using ::sabot::testing::ReadTable;
using ::sabot::testing::TempDir;

SourceSpec JsonSpec(const std::string& path) {
  SourceSpec spec;
  spec.format = FileFormat::kJsonLines;
  spec.path = path;
  return spec;
}

Status MakeAndRead(const SourceSpec& spec) {
  ARROW_ASSIGN_OR_RAISE(auto source, MakeSource(spec));
  return ReadAll(*source).status();
}

TEST(JsonSource, InfersSchemaAndReadsValues) {
  TempDir dir;
  auto path = dir.Write("data.jsonl",
                        "{\"id\": 1, \"name\": \"ann\", \"score\": 1.5}\n"
                        "{\"id\": 2, \"name\": \"bob\", \"score\": null}\n"
                        "\n"
                        "{\"id\": 3, \"name\": \"cy\", \"score\": 3.25}\n");
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(JsonSpec(path)));
  EXPECT_EQ(source->schema()->ToString(), "id: int64\nname: string\nscore: double");
  ASSERT_OK_AND_ASSIGN(auto table, ReadTable(*source));
  ASSERT_EQ(table->num_rows(), 3);
  auto id = std::static_pointer_cast<arrow::Int64Array>(table->column(0)->chunk(0));
  auto name = std::static_pointer_cast<arrow::StringArray>(table->column(1)->chunk(0));
  auto score = std::static_pointer_cast<arrow::DoubleArray>(table->column(2)->chunk(0));
  EXPECT_EQ(id->Value(2), 3);
  EXPECT_EQ(name->GetString(1), "bob");
  EXPECT_TRUE(score->IsNull(1));
  EXPECT_DOUBLE_EQ(score->Value(2), 3.25);
}

TEST(JsonSource, ExplicitSchemaDropsOtherFieldsAndProjects) {
  TempDir dir;
  auto path = dir.Write("data.jsonl",
                        "{\"a\": 1, \"b\": \"x\", \"extra\": true}\n"
                        "{\"a\": 2, \"b\": \"y\"}\n");
  auto spec = JsonSpec(path);
  spec.schema = arrow::schema({arrow::field("a", arrow::int32()), arrow::field("b", arrow::utf8())});
  spec.columns = {"b"};
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(spec));
  EXPECT_EQ(source->schema()->ToString(), "b: string");
  ASSERT_OK_AND_ASSIGN(auto table, ReadTable(*source));
  ASSERT_EQ(table->num_rows(), 2);
  auto b = std::static_pointer_cast<arrow::StringArray>(table->column(0)->chunk(0));
  EXPECT_EQ(b->GetString(1), "y");
}

TEST(JsonSource, ManyFilesKeepOrder) {
  TempDir dir;
  dir.Write("part-0.jsonl", "{\"v\": 1}\n{\"v\": 2}\n");
  dir.Write("part-1.jsonl", "{\"v\": 3}\n");
  dir.Write("part-2.jsonl", "");  // an empty file is no rows, not an error
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(JsonSpec(dir.File("part-*.jsonl"))));
  ASSERT_OK_AND_ASSIGN(auto table, ReadTable(*source));
  ASSERT_OK_AND_ASSIGN(auto v, arrow::Concatenate(table->column(0)->chunks()));
  EXPECT_TRUE(v->Equals(*testing::ArrayFromJSON(arrow::int64(), "[1, 2, 3]"))) << v->ToString();
}

TEST(JsonSource, BadLineNamesFileAndLine) {
  TempDir dir;
  auto path = dir.Write("data.jsonl",
                        "{\"a\": 1}\n"
                        "{\"a\": 2}\n"
                        "{\"a\": 3,,}\n"
                        "{\"a\": 4}\n");
  Status st = MakeAndRead(JsonSpec(path));
  ASSERT_FALSE(st.ok());
  EXPECT_HAS_SUBSTR(st.message(), path + ": line 3: ");
  EXPECT_HAS_SUBSTR(st.message(), "{\"a\": 3,,}");
}

TEST(JsonSource, BadLineInLaterBlockNamesLine) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "{\"a\": " + std::to_string(i) + "}\n";
  text += "{\"a\": oops}\n";  // line 100001, well past the first 1 MB block
  auto path = dir.Write("big.jsonl", text);
  Status st = MakeAndRead(JsonSpec(path));
  ASSERT_FALSE(st.ok());
  EXPECT_HAS_SUBSTR(st.message(), path + ": line 100001: ");
}

TEST(JsonSource, KindChangeInLaterFileNamesFileAndLine) {
  TempDir dir;
  dir.Write("1.jsonl", "{\"a\": 1}\n");
  auto second = dir.Write("2.jsonl", "{\"a\": 2}\n{\"a\": \"two\"}\n");
  Status st = MakeAndRead(JsonSpec(dir.path()));
  ASSERT_FALSE(st.ok());
  EXPECT_HAS_SUBSTR(st.message(), second + ": line 2: ");
}

TEST(JsonSource, UnknownColumnAndMissingFile) {
  TempDir dir;
  auto path = dir.Write("data.jsonl", "{\"a\": 1, \"b\": 2}\n");
  auto spec = JsonSpec(path);
  spec.columns = {"zz"};
  auto source = MakeSource(spec);
  ASSERT_FALSE(source.ok());
  EXPECT_HAS_SUBSTR(source.status().message(), "unknown column 'zz' (available columns: a, b)");

  auto missing = MakeSource(JsonSpec(dir.File("missing.jsonl")));
  ASSERT_TRUE(missing.status().IsIOError());
  EXPECT_EQ(missing.status().message(), "file not found: " + dir.File("missing.jsonl"));
}

}  // namespace
}  // namespace sabot
