// Row counting sink.
#include "sabot/io/count_sink.h"

namespace sabot {
namespace {

class CountSink final : public BatchSink {
 public:
  using BatchSink::BatchSink;

  std::string_view name() const override { return "CountSink"; }

 protected:
  // BatchSink already adds every batch's rows to output()->rows.
  Status Consume(const std::shared_ptr<arrow::RecordBatch>&) override { return Status::OK(); }
  Status Commit() override { return Status::OK(); }
  Status Discard() override { return Status::OK(); }
};

}  // namespace

Result<std::unique_ptr<Sink>> MakeCountSink(std::shared_ptr<arrow::Schema> input_schema,
                                            SinkOutput* output) {
  return std::make_unique<CountSink>(std::move(input_schema), output);
}

}  // namespace sabot
