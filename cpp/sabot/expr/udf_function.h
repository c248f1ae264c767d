// UdfFunction: a user-defined function registered as an Arrow compute scalar function,
// so that it is an ordinary expression (`call(name, col(a), ...)`) in filter, project
// and every executor. Kernels are made per input types on first bind by a Specializer
// (for Python UDFs: Numba compiles them); a native kernel is a plain C function over
// column buffers, called by engine threads in parallel with no lock (no GIL).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <arrow/compute/function.h>
#include <arrow/type_fwd.h>

#include "sabot/common/errors.h"

namespace sabot {

//! The C ABI of a compiled UDF over one slice of `length` rows. `buffers` holds, for
//! each argument i: [3i] validity as one byte per row (1 = valid; null when the
//! argument has no nulls), [3i+1] values (fixed width, already offset to the slice's
//! first row; booleans as one byte per row), [3i+2] for utf8 the int32 offsets
//! (length + 1, offset to the first row; values are indices into [3i+1], the whole
//! character data) else null. Then [3n] the output validity bytes and [3n+1] the
//! output values. `params[1 + i]` is 1 when argument i has nulls; `params[1 + n]` is 1
//! when [3n] is meaningful: without null handling by the UDF it holds the combined
//! validity of the arguments (rows to skip); with it, the UDF writes it. Returns 0 when
//! every row was computed; otherwise nonzero with the failing row in `params[0]`.
using NativeUdfFn = int64_t (*)(int64_t length, void* const* buffers, int64_t* params);

//! Runs a UDF over whole arrays on the host language's side (interpreted or batch
//! UDFs); may take a lock such as the GIL.
using HostUdfFn =
    std::function<Result<std::shared_ptr<arrow::Array>>(const std::vector<std::shared_ptr<arrow::Array>>& args)>;

//! After a native kernel reported a failing row: the error to return, naming the UDF
//! and where in its source it failed (e.g. by re-running that row interpreted).
using UdfErrorFn =
    std::function<Status(const std::vector<std::shared_ptr<arrow::Array>>& args, int64_t row)>;

//! One kernel of a UDF for one list of argument types.
struct UdfKernelSpec {
  std::shared_ptr<arrow::DataType> output_type;
  NativeUdfFn native = nullptr;  //!< set for compiled UDFs ...
  HostUdfFn host;                //!< ... or this for the others
  //! Native only: the UDF sees nulls and decides its output's validity; otherwise a
  //! null argument gives a null result without calling it.
  bool handles_nulls = false;
  UdfErrorFn on_error;  //!< native only; null gives a generic error
  //! Keeps whatever owns `native`'s code alive as long as the kernel.
  std::shared_ptr<void> keep_alive;
};

//! Makes the kernel for the argument types a bind found; errors are the user's
//! (a type the UDF cannot take), returned by the bind.
using UdfSpecializer = std::function<Result<UdfKernelSpec>(const std::vector<std::shared_ptr<arrow::DataType>>&)>;

//! Registers `name` in Arrow's default function registry (an error if it is taken).
//! `describe` is the function's documentation as shown by Arrow.
Status RegisterUdf(const std::string& name, int arity, UdfSpecializer specializer, const std::string& describe = "");

//! Whether `name` is registered as a UDF by RegisterUdf.
bool IsRegisteredUdf(const std::string& name);

//! Argument types a native kernel accepts: integers, floats, booleans, date32/64,
//! timestamps and durations (their int storage), utf8.
bool NativeUdfAcceptsType(const arrow::DataType& type);

}  // namespace sabot
