// Turns a SinkSpec into a Sink: CSV, JSON lines, Arrow IPC, Parquet files, a pretty
// table on a stream, in-memory collection, and a row counter.
#pragma once

#include <iosfwd>
#include <memory>
#include <vector>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"
#include "sabot/exec/operator.h"
#include "sabot/plan/source_spec.h"

namespace sabot {

//! Where sinks report: rows written by every sink, the batches of a collect sink,
//! the stream a print sink writes to.
struct SinkOutput {
  std::ostream* print_to = nullptr;  //!< null means std::cout
  std::vector<std::shared_ptr<arrow::RecordBatch>> collected;
  int64_t rows = 0;
};

//! File sinks write to "<path>.sabot-tmp-<pid>" and rename it to `path` at
//! EndOfStream; Abort() (or an error) removes the temporary, so a failed job leaves
//! no output. `output` must outlive the sink.
Result<std::unique_ptr<Sink>> MakeSink(const SinkSpec& spec,
                                       std::shared_ptr<arrow::Schema> input_schema,
                                       SinkOutput* output);

}  // namespace sabot
