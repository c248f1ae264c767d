// PartitionedFileSink: a file sink that writes one file per distinct value of some
// columns, in Hive-style directories (<dir>/<col>=<value>/part-0.<ext>).
#pragma once

#include <memory>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"
#include "sabot/exec/operator.h"
#include "sabot/io/sink_factory.h"
#include "sabot/plan/source_spec.h"

namespace sabot {

//! `spec.path` is the output directory, `spec.partition_by` the partition columns (not
//! written into the files: their values are in the directory names; null and "" read
//! as __HIVE_DEFAULT_PARTITION__, '/' and other unsafe bytes are %-escaped).
//! All files go into "<dir>.sabot-tmp-<pid>", renamed to `dir` at EndOfStream (an
//! existing `dir` is replaced), so readers never see a partial set of files; Abort()
//! or an error removes the temporary directory.
Result<std::unique_ptr<Sink>> MakePartitionedFileSink(const SinkSpec& spec,
                                                      std::shared_ptr<arrow::Schema> input_schema,
                                                      SinkOutput* output);

}  // namespace sabot
