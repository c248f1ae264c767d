// Turns a SourceSpec into a Source: files (CSV, JSON lines, Arrow IPC, Parquet, globs),
// the deterministic generator, and in-memory tables.
#pragma once

#include <memory>

#include "sabot/common/errors.h"
#include "sabot/exec/source.h"
#include "sabot/plan/source_spec.h"

namespace sabot {

//! Resolves paths (a missing file is an error naming it), reads or infers the schema
//! and checks requested columns exist. Errors name the file and what is wrong.
Result<std::shared_ptr<Source>> MakeSource(const SourceSpec& spec);

}  // namespace sabot
