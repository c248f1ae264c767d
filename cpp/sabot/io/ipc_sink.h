// IpcSink: Arrow IPC files (random access, with footer) and IPC streams.
#pragma once

#include <memory>
#include <string>

#include "sabot/io/file_sink.h"

namespace sabot {

//! `stream_format` false writes the IPC file format ("ipc"), true the stream format.
Result<std::unique_ptr<Sink>> MakeIpcSink(std::string path,
                                          std::shared_ptr<arrow::Schema> input_schema,
                                          bool stream_format, SinkOutput* output);

}  // namespace sabot
