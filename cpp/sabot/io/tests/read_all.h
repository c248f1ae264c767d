// Test helpers for sources: drain a Source split by split, and a self-deleting temp dir.
#pragma once

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <arrow/json/from_string.h>
#include <arrow/record_batch.h>
#include <arrow/table.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "sabot/exec/source.h"

#ifndef ASSERT_OK_AND_ASSIGN
#define SABOT_TEST_CONCAT_INNER(a, b) a##b
#define SABOT_TEST_CONCAT(a, b) SABOT_TEST_CONCAT_INNER(a, b)
#define SABOT_TEST_ASSIGN_IMPL(tmp, lhs, expr)                  \
  auto tmp = (expr);                                            \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString();             \
  lhs = std::move(tmp).ValueUnsafe()
//! Unwraps a Result or fails the test with its status.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  SABOT_TEST_ASSIGN_IMPL(SABOT_TEST_CONCAT(_result_, __LINE__), lhs, expr)
#endif
#ifndef ASSERT_OK
#define ASSERT_OK(expr)                                   \
  do {                                                    \
    ::arrow::Status _st = (expr);                         \
    ASSERT_TRUE(_st.ok()) << _st.ToString();              \
  } while (false)
#endif

//! Fails the test when `text` does not contain `part`, showing the whole text.
#define EXPECT_HAS_SUBSTR(text, part)                                            \
  EXPECT_NE(std::string(text).find(part), std::string::npos)                     \
      << "expected to find [" << (part) << "] in [" << (text) << "]"

namespace sabot::testing {

//! An array from its JSON text; the test fails on bad JSON.
inline std::shared_ptr<arrow::Array> ArrayFromJSON(const std::shared_ptr<arrow::DataType>& type,
                                                   const std::string& json) {
  auto array = arrow::json::ArrayFromJSONString(type, json);
  EXPECT_TRUE(array.ok()) << array.status().ToString();
  return array.ok() ? *array : nullptr;
}

struct Drained {
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  std::vector<EventTime> watermarks;
  int64_t num_rows = 0;
};

//! Reads one split until exhausted; Pending polls are retried (tests only, so a busy wait).
inline Status DrainSplit(Source& source, const SourceSplit& split, Drained* out) {
  ARROW_ASSIGN_OR_RAISE(auto reader, source.Open(split));
  while (true) {
    ARROW_ASSIGN_OR_RAISE(auto poll, reader->Next());
    if (poll.state == SourcePoll::State::kExhausted) return Status::OK();
    if (poll.state == SourcePoll::State::kPending) continue;
    const Message& m = *poll.message;
    if (m.is_batch()) {
      out->num_rows += m.batch()->num_rows();
      out->batches.push_back(m.batch());
    } else if (m.kind() == MessageKind::kWatermark) {
      out->watermarks.push_back(m.watermark());
    }
  }
}

//! Splits -> Open -> Next until exhausted, in source order.
inline Result<Drained> ReadAll(Source& source) {
  Drained out;
  ARROW_ASSIGN_OR_RAISE(auto splits, source.Splits());
  for (const auto& split : splits) ARROW_RETURN_NOT_OK(DrainSplit(source, *split, &out));
  return out;
}

//! All batches as one table with the source's schema.
inline Result<std::shared_ptr<arrow::Table>> ReadTable(Source& source) {
  ARROW_ASSIGN_OR_RAISE(auto drained, ReadAll(source));
  return arrow::Table::FromRecordBatches(source.schema(), drained.batches);
}

//! A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("sabot_io_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

  //! Writes `text` to `name` inside the directory and returns its full path.
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string p = File(name);
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace sabot::testing
