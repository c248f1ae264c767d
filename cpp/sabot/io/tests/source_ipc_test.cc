// Tests for IpcSource: Arrow IPC file and stream formats, projection and corrupt input.
#include <filesystem>

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <arrow/ipc/writer.h>
#include <gtest/gtest.h>

#include "sabot/io/source_factory.h"
#include "sabot/io/tests/read_all.h"

namespace sabot {
namespace {

using ::sabot::testing::ArrayFromJSON;
using ::sabot::testing::ReadAll;
using ::sabot::testing::ReadTable;
using ::sabot::testing::TempDir;

std::shared_ptr<arrow::Schema> TestSchema() {
  return arrow::schema({arrow::field("id", arrow::int64()), arrow::field("name", arrow::utf8())});
}

std::shared_ptr<arrow::RecordBatch> Batch(const std::string& ids, const std::string& names) {
  auto id = ArrayFromJSON(arrow::int64(), ids);
  return arrow::RecordBatch::Make(TestSchema(), id->length(),
                                  {id, ArrayFromJSON(arrow::utf8(), names)});
}

Status WriteIpc(const std::string& path, FileFormat format,
                const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches,
                std::shared_ptr<arrow::Schema> schema = TestSchema()) {
  ARROW_ASSIGN_OR_RAISE(auto out, arrow::io::FileOutputStream::Open(path));
  std::shared_ptr<arrow::ipc::RecordBatchWriter> writer;
  if (format == FileFormat::kIpcFile) {
    ARROW_ASSIGN_OR_RAISE(writer, arrow::ipc::MakeFileWriter(out, schema));
  } else {
    ARROW_ASSIGN_OR_RAISE(writer, arrow::ipc::MakeStreamWriter(out, schema));
  }
  for (const auto& b : batches) ARROW_RETURN_NOT_OK(writer->WriteRecordBatch(*b));
  ARROW_RETURN_NOT_OK(writer->Close());
  return out->Close();
}

SourceSpec IpcSpec(const std::string& path, FileFormat format) {
  SourceSpec spec;
  spec.format = format;
  spec.path = path;
  return spec;
}

class IpcSourceTest : public ::testing::TestWithParam<FileFormat> {};

TEST_P(IpcSourceTest, ReadsBatchesOfAllFilesInOrder) {
  TempDir dir;
  ASSERT_OK(WriteIpc(dir.File("a.arrow"), GetParam(),
                     {Batch("[1, 2]", R"(["a", "b"])"), Batch("[3]", R"(["c"])")}));
  ASSERT_OK(WriteIpc(dir.File("b.arrow"), GetParam(), {Batch("[4]", R"(["d"])")}));
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(IpcSpec(dir.path(), GetParam())));
  EXPECT_TRUE(source->schema()->Equals(*TestSchema()));
  ASSERT_OK_AND_ASSIGN(auto drained, ReadAll(*source));
  ASSERT_EQ(drained.batches.size(), 3u);  // batches come one at a time, as written
  ASSERT_OK_AND_ASSIGN(auto table, ReadTable(*source));
  ASSERT_OK_AND_ASSIGN(auto ids, arrow::Concatenate(table->column(0)->chunks()));
  EXPECT_TRUE(ids->Equals(*ArrayFromJSON(arrow::int64(), "[1, 2, 3, 4]")));
}

TEST_P(IpcSourceTest, ProjectsColumns) {
  TempDir dir;
  ASSERT_OK(WriteIpc(dir.File("a.arrow"), GetParam(), {Batch("[1, 2]", R"(["a", "b"])")}));
  auto spec = IpcSpec(dir.File("a.arrow"), GetParam());
  spec.columns = {"name"};
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(spec));
  EXPECT_EQ(source->schema()->ToString(), "name: string");
  ASSERT_OK_AND_ASSIGN(auto table, ReadTable(*source));
  ASSERT_EQ(table->num_columns(), 1);
  EXPECT_TRUE(table->column(0)->chunk(0)->Equals(*ArrayFromJSON(arrow::utf8(), R"(["a", "b"])")));

  spec.columns = {"id", "missing"};
  auto bad = MakeSource(spec);
  ASSERT_FALSE(bad.ok());
  EXPECT_HAS_SUBSTR(bad.status().message(), "unknown column 'missing' (available columns: id, name)");
}

TEST_P(IpcSourceTest, ZeroBatchFileHasSchemaAndNoRows) {
  TempDir dir;
  ASSERT_OK(WriteIpc(dir.File("empty.arrow"), GetParam(), {}));
  ASSERT_OK_AND_ASSIGN(auto source, MakeSource(IpcSpec(dir.File("empty.arrow"), GetParam())));
  EXPECT_TRUE(source->schema()->Equals(*TestSchema()));
  ASSERT_OK_AND_ASSIGN(auto drained, ReadAll(*source));
  EXPECT_EQ(drained.num_rows, 0);
}

TEST_P(IpcSourceTest, TruncatedFileNamesFile) {
  TempDir dir;
  const std::string path = dir.File("t.arrow");
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  for (int i = 0; i < 4; ++i) batches.push_back(Batch("[1, 2, 3]", R"(["x", "y", "z"])"));
  ASSERT_OK(WriteIpc(path, GetParam(), batches));
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  Status st = [&]() -> Status {
    ARROW_ASSIGN_OR_RAISE(auto source, MakeSource(IpcSpec(path, GetParam())));
    return ReadAll(*source).status();
  }();
  ASSERT_FALSE(st.ok());
  EXPECT_HAS_SUBSTR(st.message(), path + ": not a valid Arrow IPC ");
  EXPECT_HAS_SUBSTR(st.message(), " (truncated or corrupt): ");
}

TEST_P(IpcSourceTest, DifferentSchemaInLaterFileNamesFileAndColumn) {
  TempDir dir;
  ASSERT_OK(WriteIpc(dir.File("a.arrow"), GetParam(), {Batch("[1]", R"(["a"])")}));
  auto other = arrow::schema({arrow::field("id", arrow::utf8()), arrow::field("name", arrow::utf8())});
  auto batch = arrow::RecordBatch::Make(other, 1, {ArrayFromJSON(arrow::utf8(), R"(["1"])"),
                                                   ArrayFromJSON(arrow::utf8(), R"(["b"])")});
  ASSERT_OK(WriteIpc(dir.File("b.arrow"), GetParam(), {batch}, other));
  Status st = [&]() -> Status {
    ARROW_ASSIGN_OR_RAISE(auto source, MakeSource(IpcSpec(dir.File("*.arrow"), GetParam())));
    return ReadAll(*source).status();
  }();
  ASSERT_FALSE(st.ok());
  EXPECT_HAS_SUBSTR(st.message(), dir.File("b.arrow") + ": column 'id' has a different type than in " +
                                      dir.File("a.arrow") + ": expected int64, found string");
}

TEST_P(IpcSourceTest, MissingFile) {
  TempDir dir;
  auto source = MakeSource(IpcSpec(dir.File("nope.arrow"), GetParam()));
  ASSERT_TRUE(source.status().IsIOError());
  EXPECT_EQ(source.status().message(), "file not found: " + dir.File("nope.arrow"));
}

INSTANTIATE_TEST_SUITE_P(Formats, IpcSourceTest,
                         ::testing::Values(FileFormat::kIpcFile, FileFormat::kIpcStream),
                         [](const auto& info) { return std::string(ToString(info.param)); });

}  // namespace
}  // namespace sabot
