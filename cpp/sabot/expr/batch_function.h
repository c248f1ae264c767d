// BatchFunction: a user function from a RecordBatch to a RecordBatch (map_batches),
// implemented outside the engine (a Python callable, a compiled UDF). Opaque to the
// optimizer: nothing is known of its column lineage.
#pragma once

#include <memory>
#include <string>

#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"

namespace sabot {

class BatchFunction {
 public:
  virtual ~BatchFunction() = default;
  //! The name shown in explain() and in errors, e.g. "normalize".
  virtual std::string name() const = 0;
  //! The schema of the batches Call() returns for input of `input` schema.
  virtual Result<std::shared_ptr<arrow::Schema>> OutputSchema(
      const std::shared_ptr<arrow::Schema>& input) = 0;
  //! May be called from any engine thread, one call at a time per function object.
  virtual Result<std::shared_ptr<arrow::RecordBatch>> Call(
      const std::shared_ptr<arrow::RecordBatch>& batch) = 0;
};

}  // namespace sabot
