// Arrow IPC file and stream sinks on arrow::ipc::MakeFileWriter / MakeStreamWriter.
#include "sabot/io/ipc_sink.h"

#include <arrow/io/interfaces.h>
#include <arrow/ipc/writer.h>
#include <arrow/record_batch.h>

namespace sabot {
namespace {

class IpcSink final : public FileSink {
 public:
  IpcSink(std::string path, std::shared_ptr<arrow::Schema> input_schema, bool stream_format,
          SinkOutput* output)
      : FileSink(std::move(path), std::move(input_schema), output),
        stream_format_(stream_format) {}
  using FileSink::Open;

  std::string_view name() const override {
    return stream_format_ ? "IpcStreamSink" : "IpcFileSink";
  }

 protected:
  Status StartFormat(std::shared_ptr<arrow::io::OutputStream> stream) override {
    if (stream_format_) {
      ARROW_ASSIGN_OR_RAISE(writer_, arrow::ipc::MakeStreamWriter(stream, input_schema()));
    } else {
      ARROW_ASSIGN_OR_RAISE(writer_, arrow::ipc::MakeFileWriter(stream, input_schema()));
    }
    return Status::OK();
  }

  Status WriteBatch(const arrow::RecordBatch& batch) override {
    return writer_->WriteRecordBatch(batch);
  }

  Status FinishFormat() override { return writer_->Close(); }

 private:
  bool stream_format_;
  std::shared_ptr<arrow::ipc::RecordBatchWriter> writer_;
};

}  // namespace

Result<std::unique_ptr<Sink>> MakeIpcSink(std::string path,
                                          std::shared_ptr<arrow::Schema> input_schema,
                                          bool stream_format, SinkOutput* output) {
  auto sink = std::make_unique<IpcSink>(std::move(path), std::move(input_schema),
                                        stream_format, output);
  ARROW_RETURN_NOT_OK(sink->Open());
  return sink;
}

}  // namespace sabot
