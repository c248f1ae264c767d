// Errors across the Python boundary: a Python exception raised inside a UDF travels
// through the engine as a Status detail and is re-raised, unchanged, in the caller.
#pragma once

#include <stdexcept>
#include <string>

#include <nanobind/nanobind.h>

#include "sabot/common/errors.h"

namespace sabot::python {

namespace nb = nanobind;

//! Raised in Python as sabot.SabotError.
class SabotError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

//! A Status carrying the Python exception that `error` holds (GIL held).
Status StatusFromPython(nb::python_error& error, const std::string& context);

//! Raises `status` in Python: the original exception if it came from Python (with a
//! note saying where in the job), else SabotError. GIL held.
[[noreturn]] void RaiseStatus(const Status& status);

template <typename T>
T ValueOrRaise(Result<T> result) {
  if (!result.ok()) RaiseStatus(result.status());
  return std::move(*result);
}
inline void OkOrRaise(const Status& status) {
  if (!status.ok()) RaiseStatus(status);
}

}  // namespace sabot::python
