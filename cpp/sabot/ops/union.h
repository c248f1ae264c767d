// Union (UNION ALL): merges several inputs of one schema. Batches pass through; the
// output watermark is the minimum over inputs that are not idle; the stream ends when
// every input has.
#pragma once

#include <map>
#include <vector>

#include "sabot/exec/operator.h"

namespace sabot {

class UnionOperator final : public Operator {
 public:
  UnionOperator(std::shared_ptr<arrow::Schema> schema, int num_inputs);
  std::string_view name() const override { return "Union"; }
  int num_inputs() const override { return static_cast<int>(watermarks_.size()); }
  Result<Flow> Push(int port, Message message) override;

 private:
  Result<Flow> Forward(Message message);
  Result<Flow> AdvanceWatermark();

  std::vector<EventTime> watermarks_;  // per input; kMaxWatermark once it ended
  std::vector<uint8_t> idle_;          // per input: declared idle, left out of the minimum
  bool idle_forwarded_ = false;        // every open input is idle and downstream was told
  EventTime emitted_watermark_;
  int open_inputs_;
  std::map<int64_t, int> barrier_arrivals_;  // checkpoint id -> inputs that delivered it
  bool stopped_ = false;                     // downstream wants nothing more
};

//! Checks that every input has the first one's column names and types; the error
//! names the input and the first difference.
Status CheckUnionSchemas(const std::vector<std::shared_ptr<arrow::Schema>>& inputs);

}  // namespace sabot
