// The partitioned file sink: one file per partition value, Hive-style directories,
// the whole directory appears at EndOfStream only, errors and aborts leave nothing.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <arrow/array.h>
#include <arrow/json/from_string.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>
#include <gtest/gtest.h>

#include "sabot/io/sink_factory.h"
#include "sabot/plan/plan_json.h"
#include "sabot/plan/stream.h"

namespace sabot {
namespace {

namespace fs = std::filesystem;

class SinkPartitionedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sabot_sink_partitioned_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::shared_ptr<arrow::Schema> schema_ =
      arrow::schema({arrow::field("x", arrow::int64()), arrow::field("day", arrow::utf8())});

  std::shared_ptr<arrow::RecordBatch> Batch(const char* xs, const char* days) {
    auto x = arrow::json::ArrayFromJSONString(arrow::int64(), xs).ValueOrDie();
    auto day = arrow::json::ArrayFromJSONString(arrow::utf8(), days).ValueOrDie();
    return arrow::RecordBatch::Make(schema_, x->length(), {x, day});
  }

  Result<std::unique_ptr<Sink>> Make(const fs::path& path, std::vector<std::string> by = {"day"}) {
    SinkSpec spec;
    spec.kind = SinkSpec::Kind::kFile;
    spec.format = FileFormat::kCsv;
    spec.path = path.string();
    spec.partition_by = std::move(by);
    return MakeSink(spec, schema_, &output_);
  }

  static std::string Read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
  }

  //! Every file under `root`, relative, sorted: catches stray temporaries.
  static std::vector<std::string> Files(const fs::path& root) {
    std::vector<std::string> names;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (entry.is_regular_file()) names.push_back(fs::relative(entry.path(), root).string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
  SinkOutput output_;
};

TEST_F(SinkPartitionedTest, OneFilePerValueWithoutThePartitionColumn) {
  const fs::path out = dir_ / "out";
  auto sink = Make(out);
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  // A batch in one partition, then one across three (a null and an unsafe value among them).
  ASSERT_TRUE((*sink)->Push(0, Message::Batch(Batch("[1, 2]", R"(["mon", "mon"])"))).ok());
  ASSERT_TRUE((*sink)->Push(0, Message::Batch(Batch("[3, 4, 5, 6]", R"(["tue", "mon", null, "a/b"])"))).ok());
  EXPECT_FALSE(fs::exists(out)) << "nothing is visible before the end";
  ASSERT_TRUE((*sink)->Push(0, Message::EndOfStream()).ok());

  EXPECT_EQ(Files(out), (std::vector<std::string>{"day=__HIVE_DEFAULT_PARTITION__/part-0.csv", "day=a%2Fb/part-0.csv",
                                                  "day=mon/part-0.csv", "day=tue/part-0.csv"}));
  EXPECT_EQ(Read(out / "day=mon" / "part-0.csv"), "\"x\"\n1\n2\n4\n");
  EXPECT_EQ(Read(out / "day=tue" / "part-0.csv"), "\"x\"\n3\n");
  EXPECT_EQ(Read(out / "day=a%2Fb" / "part-0.csv"), "\"x\"\n6\n");
  EXPECT_EQ(output_.rows, 6);
  EXPECT_EQ(Files(dir_).size(), 4u) << "no temporary left beside the output";
}

TEST_F(SinkPartitionedTest, ReplacesAnExistingDirectoryWhole) {
  const fs::path out = dir_ / "out";
  fs::create_directories(out / "day=old");
  std::ofstream(out / "day=old" / "part-0.csv") << "stale";
  auto sink = Make(out);
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  ASSERT_TRUE((*sink)->Push(0, Message::Batch(Batch("[1]", R"(["new"])"))).ok());
  ASSERT_TRUE((*sink)->Push(0, Message::EndOfStream()).ok());
  EXPECT_EQ(Files(dir_), (std::vector<std::string>{"out/day=new/part-0.csv"}));
}

TEST_F(SinkPartitionedTest, AbortLeavesNothing) {
  const fs::path out = dir_ / "out";
  auto sink = Make(out);
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  ASSERT_TRUE((*sink)->Push(0, Message::Batch(Batch("[1, 2]", R"(["mon", "tue"])"))).ok());
  ASSERT_TRUE((*sink)->Abort().ok());
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(SinkPartitionedTest, ErrorsNameTheColumnAndThePath) {
  auto unknown = Make(dir_ / "out", {"month"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(unknown.status().IsKeyError());
  EXPECT_NE(unknown.status().message().find("partition column 'month' does not exist"), std::string::npos)
      << unknown.status().ToString();
  EXPECT_NE(unknown.status().message().find("x, day"), std::string::npos) << unknown.status().ToString();

  auto all = Make(dir_ / "out", {"x", "day"});
  ASSERT_FALSE(all.ok());
  EXPECT_NE(all.status().message().find("every column is a partition column"), std::string::npos);

  auto missing_parent = Make(dir_ / "nope" / "out");
  ASSERT_FALSE(missing_parent.ok());
  EXPECT_NE(missing_parent.status().message().find("does not exist"), std::string::npos);
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(SinkPartitionedTest, PartitionByRoundTripsThroughPlanJson) {
  SinkSpec spec;
  spec.kind = SinkSpec::Kind::kFile;
  spec.format = FileFormat::kParquet;
  spec.path = "/tmp/bids";
  spec.partition_by = {"dt", "hm"};
  auto plan = Stream::ReadCsv("/tmp/in.csv").To(spec);
  auto text = SerializePlan(*plan);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_NE(text->find(R"("partition_by")"), std::string::npos) << *text;
  auto back = DeserializePlan(*text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ((*back)->kind(), PlanKind::kSink);
  EXPECT_EQ(static_cast<const SinkNode&>(**back).spec.partition_by, spec.partition_by);
  // The optimizer rebuilds nodes with WithInputs: the spec must survive it.
  auto copy = WithInputs(**back, (*back)->inputs());
  EXPECT_EQ(static_cast<const SinkNode&>(*copy).spec.partition_by, spec.partition_by);
  EXPECT_EQ(static_cast<const SinkNode&>(*copy).Describe(), "Sink parquet /tmp/bids partitioned by dt, hm");
}

}  // namespace
}  // namespace sabot
