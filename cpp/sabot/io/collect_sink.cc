// In-memory collection of a query's batches.
#include "sabot/io/collect_sink.h"

#include <vector>

#include <arrow/record_batch.h>

namespace sabot {
namespace {

class CollectSink final : public BatchSink {
 public:
  using BatchSink::BatchSink;

  std::string_view name() const override { return "CollectSink"; }

 protected:
  Status Consume(const std::shared_ptr<arrow::RecordBatch>& batch) override {
    if (batch->num_rows() > 0) pending_.push_back(batch);
    return Status::OK();
  }

  Status Commit() override {
    auto& collected = output()->collected;
    if (collected.empty() && pending_.empty()) {
      ARROW_ASSIGN_OR_RAISE(auto empty, arrow::RecordBatch::MakeEmpty(input_schema()));
      pending_.push_back(std::move(empty));
    }
    collected.insert(collected.end(), pending_.begin(), pending_.end());
    pending_.clear();
    return Status::OK();
  }

  Status Discard() override {
    pending_.clear();
    return Status::OK();
  }

 private:
  std::vector<std::shared_ptr<arrow::RecordBatch>> pending_;
};

}  // namespace

Result<std::unique_ptr<Sink>> MakeCollectSink(std::shared_ptr<arrow::Schema> input_schema,
                                              SinkOutput* output) {
  return std::make_unique<CollectSink>(std::move(input_schema), output);
}

}  // namespace sabot
