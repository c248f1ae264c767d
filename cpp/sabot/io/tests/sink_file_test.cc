// The file sink protocol: temporary then rename, abort and errors leave no output,
// control events are accepted, broken invariants are reported as errors.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <arrow/array.h>
#include <arrow/csv/writer.h>
#include <arrow/io/memory.h>
#include <arrow/table.h>
#include <arrow/json/from_string.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>
#include <gtest/gtest.h>

#include "sabot/io/sink_factory.h"

namespace sabot {
namespace {

namespace fs = std::filesystem;

class SinkFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sabot_sink_file_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::shared_ptr<arrow::Schema> schema_ = arrow::schema({arrow::field("x", arrow::int64())});

  std::shared_ptr<arrow::RecordBatch> Batch(const char* json) {
    auto array = arrow::json::ArrayFromJSONString(arrow::int64(), json).ValueOrDie();
    return arrow::RecordBatch::Make(schema_, array->length(), {array});
  }

  std::unique_ptr<Sink> Make(const std::string& path, FileFormat format = FileFormat::kCsv) {
    SinkSpec spec;
    spec.kind = SinkSpec::Kind::kFile;
    spec.format = format;
    spec.path = path;
    auto sink = MakeSink(spec, schema_, &output_);
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    return sink.ok() ? *std::move(sink) : nullptr;
  }

  static std::string Read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
  }

  //! The test directory's file names, sorted: catches stray temporaries.
  std::vector<std::string> Files() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
  SinkOutput output_;
};

TEST_F(SinkFileTest, WritesToTemporaryAndRenamesAtEndOfStream) {
  const std::string path = dir_ / "out.csv";
  auto sink = Make(path);
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->Push(0, Message::Batch(Batch("[1, 2]"))).ok());
  EXPECT_FALSE(fs::exists(path));
  const std::string temp = path + ".sabot-tmp-" + std::to_string(::getpid());
  EXPECT_TRUE(fs::exists(temp));

  auto flow = sink->Push(0, Message::EndOfStream());
  ASSERT_TRUE(flow.ok()) << flow.status().ToString();
  EXPECT_EQ(*flow, Flow::kContinue);
  EXPECT_EQ(Read(path), "\"x\"\n1\n2\n");
  EXPECT_EQ(Files(), std::vector<std::string>{"out.csv"});
  EXPECT_EQ(output_.rows, 2);

  // Abort after commit does nothing.
  EXPECT_TRUE(sink->Abort().ok());
  EXPECT_TRUE(fs::exists(path));
}

TEST_F(SinkFileTest, AbortRemovesTemporaryAndKeepsOldFile) {
  const std::string path = dir_ / "out.csv";
  std::ofstream(path) << "old content\n";
  auto sink = Make(path);
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->Push(0, Message::Batch(Batch("[1]"))).ok());
  EXPECT_EQ(Read(path), "old content\n");
  ASSERT_TRUE(sink->Abort().ok());
  ASSERT_TRUE(sink->Abort().ok());  // idempotent
  EXPECT_EQ(Files(), std::vector<std::string>{"out.csv"});
  EXPECT_EQ(Read(path), "old content\n");

  // An aborted sink takes nothing more.
  EXPECT_FALSE(sink->Push(0, Message::Batch(Batch("[2]"))).ok());
  EXPECT_FALSE(sink->Push(0, Message::EndOfStream()).ok());
  EXPECT_EQ(Read(path), "old content\n");
}

TEST_F(SinkFileTest, AbortWithoutOldFileLeavesNothing) {
  for (auto format : {FileFormat::kCsv, FileFormat::kJsonLines, FileFormat::kIpcFile,
                      FileFormat::kIpcStream, FileFormat::kParquet}) {
    auto sink = Make(dir_ / "out", format);
    ASSERT_NE(sink, nullptr);
    ASSERT_TRUE(sink->Push(0, Message::Batch(Batch("[1]"))).ok());
    ASSERT_TRUE(sink->Abort().ok());
    EXPECT_TRUE(Files().empty()) << ToString(format);
  }
}

TEST_F(SinkFileTest, SuccessReplacesExistingFile) {
  const std::string path = dir_ / "out.csv";
  std::ofstream(path) << "old content\n";
  auto sink = Make(path);
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->Push(0, Message::Batch(Batch("[7]"))).ok());
  ASSERT_TRUE(sink->Push(0, Message::EndOfStream()).ok());
  EXPECT_EQ(Read(path), "\"x\"\n7\n");
}

TEST_F(SinkFileTest, DestroyingUncommittedSinkRemovesTemporary) {
  {
    auto sink = Make(dir_ / "out.parquet", FileFormat::kParquet);
    ASSERT_NE(sink, nullptr);
    ASSERT_TRUE(sink->Push(0, Message::Batch(Batch("[1, 2, 3]"))).ok());
    EXPECT_EQ(Files().size(), 1u);
  }
  EXPECT_TRUE(Files().empty());
}

TEST_F(SinkFileTest, MissingDirectoryIsAnErrorNamingIt) {
  SinkSpec spec;
  spec.kind = SinkSpec::Kind::kFile;
  spec.path = (dir_ / "missing" / "x.csv").string();
  auto sink = MakeSink(spec, schema_, &output_);
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.status().message(),
            "cannot write " + spec.path + ": directory '" + (dir_ / "missing").string() +
                "' does not exist");
}

TEST_F(SinkFileTest, PathThatIsADirectoryIsAnError) {
  SinkSpec spec;
  spec.kind = SinkSpec::Kind::kFile;
  spec.path = dir_.string();
  auto sink = MakeSink(spec, schema_, &output_);
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.status().message().find("it is a directory"), std::string::npos)
      << sink.status().ToString();
}

TEST_F(SinkFileTest, ControlEventsAreAcceptedAndIgnored) {
  const std::string path = dir_ / "out.csv";
  auto sink = Make(path);
  ASSERT_NE(sink, nullptr);
  for (const Message& m : {Message::Watermark(10), Message::CheckpointBarrier(1),
                           Message::Batch(Batch("[3]")), Message::Watermark(kMaxWatermark)}) {
    auto flow = sink->Push(0, m);
    ASSERT_TRUE(flow.ok()) << flow.status().ToString();
    EXPECT_EQ(*flow, Flow::kContinue);
  }
  EXPECT_FALSE(fs::exists(path));
  ASSERT_TRUE(sink->Push(0, Message::EndOfStream()).ok());
  EXPECT_EQ(Read(path), "\"x\"\n3\n");
}

TEST_F(SinkFileTest, WrongSchemaIsAnInternalErrorAndLeavesNothing) {
  auto sink = Make(dir_ / "out.csv");
  ASSERT_NE(sink, nullptr);
  auto other = arrow::json::ArrayFromJSONString(arrow::int32(), "[1]").ValueOrDie();
  auto batch = arrow::RecordBatch::Make(arrow::schema({arrow::field("x", arrow::int32())}), 1,
                                        {other});
  auto flow = sink->Push(0, Message::Batch(batch));
  ASSERT_FALSE(flow.ok());
  EXPECT_NE(flow.status().message().find("internal error"), std::string::npos);
  EXPECT_TRUE(Files().empty());
}

TEST_F(SinkFileTest, BatchAfterEndOfStreamIsAnInternalError) {
  auto sink = Make(dir_ / "out.csv");
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->Push(0, Message::EndOfStream()).ok());
  auto flow = sink->Push(0, Message::Batch(Batch("[1]")));
  ASSERT_FALSE(flow.ok());
  EXPECT_NE(flow.status().message().find("internal error"), std::string::npos);
  EXPECT_FALSE(sink->Push(0, Message::EndOfStream()).ok());
  // The committed file stays.
  EXPECT_EQ(Read(dir_ / "out.csv"), "\"x\"\n");
}

}  // namespace
}  // namespace sabot

namespace sabot {
namespace {

// Sabot's CSV encoder writes the batches it can; a batch with a date past year 9999 and
// a schema it has no encoding for go through Arrow's writer. The file is the same text
// Arrow's writer alone makes.
class CsvSinkEncoderTest : public SinkFileTest {
 protected:
  std::string WriteAll(const std::shared_ptr<arrow::Schema>& schema, const arrow::RecordBatchVector& batches) {
    schema_ = schema;
    const fs::path path = dir_ / "out.csv";
    auto sink = Make(path.string());
    for (const auto& batch : batches) EXPECT_TRUE(sink->Push(0, Message::Batch(batch)).ok());
    EXPECT_TRUE(sink->Push(0, Message::EndOfStream()).ok());
    return Read(path);
  }
  static std::string ArrowOnly(const std::shared_ptr<arrow::Schema>& schema, const arrow::RecordBatchVector& batches) {
    auto sink = arrow::io::BufferOutputStream::Create().ValueOrDie();
    auto table = arrow::Table::FromRecordBatches(schema, batches).ValueOrDie();
    EXPECT_TRUE(arrow::csv::WriteCSV(*table, arrow::csv::WriteOptions::Defaults(), sink.get()).ok());
    return sink->Finish().ValueOrDie()->ToString();
  }
};

TEST_F(CsvSinkEncoderTest, FallsBackToArrowPerBatchAndPerSchema) {
  auto dates = arrow::schema({arrow::field("d", arrow::date32()), arrow::field("s", arrow::utf8())});
  auto batch = [&](const char* days, const char* strings) {
    auto d = arrow::json::ArrayFromJSONString(arrow::date32(), days).ValueOrDie();
    auto s = arrow::json::ArrayFromJSONString(arrow::utf8(), strings).ValueOrDie();
    return arrow::RecordBatch::Make(dates, d->length(), {d, s});
  };
  const arrow::RecordBatchVector mixed = {batch("[0, null]", R"(["a\"b", null])"), batch("[3000000]", R"(["far"])"),
                                          batch("[1]", R"([""])")};
  EXPECT_EQ(WriteAll(dates, mixed), ArrowOnly(dates, mixed));

  auto floats = arrow::schema({arrow::field("f", arrow::float64())});
  auto f = arrow::json::ArrayFromJSONString(arrow::float64(), "[1.5, null, 1e20]").ValueOrDie();
  const arrow::RecordBatchVector plain = {arrow::RecordBatch::Make(floats, 3, {f})};
  EXPECT_EQ(WriteAll(floats, plain), ArrowOnly(floats, plain));
}

}  // namespace
}  // namespace sabot
