// Helpers for operator tests: a downstream that records what it receives, and batches
// from JSON.
#pragma once

#include <string>
#include <vector>

#include <arrow/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include "sabot/exec/operator.h"

namespace sabot::testing {

//! Records every message pushed into it; can ask its input to stop after N batches.
class RecordingOperator final : public Operator {
 public:
  explicit RecordingOperator(std::shared_ptr<arrow::Schema> schema, int stop_after_batches = -1)
      : Operator(std::move(schema)), stop_after_(stop_after_batches) {}
  std::string_view name() const override { return "Recording"; }
  Result<Flow> Push(int port, Message message) override {
    if (message.is_batch()) ++batches_;
    messages.push_back(std::move(message));
    return (stop_after_ >= 0 && batches_ >= stop_after_) ? Flow::kStop : Flow::kContinue;
  }

  std::vector<Message> messages;

  //! The concatenated batches as one table.
  std::shared_ptr<arrow::Table> Table() const {
    std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
    for (const auto& m : messages) {
      if (m.is_batch()) batches.push_back(m.batch());
    }
    return arrow::Table::FromRecordBatches(output_schema(), batches).ValueOrDie();
  }
  //! Kinds of the control messages, in order ("Watermark(5)", "EndOfStream").
  std::vector<std::string> Controls() const {
    std::vector<std::string> out;
    for (const auto& m : messages) {
      if (m.is_control()) out.push_back(m.ToString());
    }
    return out;
  }

 private:
  int stop_after_;
  int batches_ = 0;
};

inline std::shared_ptr<arrow::RecordBatch> BatchFromJson(const std::shared_ptr<arrow::Schema>& schema,
                                                         const std::string& json) {
  // Rows as JSON objects: [{"a": 1, "s": "x"}, ...]
  auto rows = arrow::json::ArrayFromJSONString(arrow::struct_(schema->fields()), json).ValueOrDie();
  auto batch = arrow::RecordBatch::FromStructArray(rows).ValueOrDie();
  return batch->ReplaceSchema(schema).ValueOrDie();
}

inline std::shared_ptr<arrow::Table> TableFromJson(const std::shared_ptr<arrow::Schema>& schema,
                                                   const std::string& json) {
  return arrow::Table::FromRecordBatches(schema, {BatchFromJson(schema, json)}).ValueOrDie();
}

#define EXPECT_TABLE_EQ(actual, expected)                                                    \
  do {                                                                                       \
    auto _a = (actual)->CombineChunks().ValueOrDie();                                        \
    auto _e = (expected)->CombineChunks().ValueOrDie();                                      \
    EXPECT_TRUE(_a->Equals(*_e)) << "got:\n" << _a->ToString() << "\nwant:\n" << _e->ToString(); \
  } while (false)

}  // namespace sabot::testing
