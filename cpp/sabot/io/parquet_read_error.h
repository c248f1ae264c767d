// How a failed Parquet read is reported: the file at fault, or the machine short of memory.
#pragma once

#include <exception>
#include <new>
#include <string_view>

#include <arrow/status.h>
#include <parquet/exception.h>

#include "sabot/common/errors.h"

namespace sabot {

//! The Status a Parquet exception stands for: the one it carries where it carries one (a
//! corrupt file's I/O error, an allocation's out of memory), OutOfMemory for a failed
//! allocation of the reader's own, else an I/O error with the exception's message. Parquet
//! throws from deep inside its decoders, so every read that calls it catches and converts
//! here.
inline arrow::Status ParquetExceptionStatus(const std::exception& e) {
  if (const auto* with_status = dynamic_cast<const parquet::ParquetStatusException*>(&e)) {
    return with_status->status();
  }
  if (dynamic_cast<const std::bad_alloc*>(&e) != nullptr) {
    return arrow::Status::OutOfMemory("allocation failed while reading Parquet (", e.what(), ")");
  }
  return arrow::Status::IOError(e.what());
}

//! The error reading `path` failed with, as the user sees it: the file named as not valid
//! Parquet, except where the read failed for want of resources (memory, an Arrow capacity
//! limit) or was cancelled. Those keep their code and only gain the path: the file is not
//! at fault, and calling it corrupt would send the user looking in the wrong place.
inline arrow::Status ParquetReadError(const arrow::Status& st, std::string_view path) {
  if (st.IsOutOfMemory() || st.IsCapacityError() || st.IsCancelled()) return WithContext(st, path);
  return arrow::Status::IOError(path, ": not a valid Parquet file (truncated or corrupt): ", st.message());
}

}  // namespace sabot
