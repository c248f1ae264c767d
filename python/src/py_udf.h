// Python UDFs as engine functions: `_core.register_udf` registers a UdfFunction whose
// kernels a Python specializer makes (Numba-compiled C functions, or Python callables).
#pragma once

#include <nanobind/nanobind.h>

namespace sabot::python {

namespace nb = nanobind;

//! Adds register_udf and is_registered_udf to the module.
void BindUdfs(nb::module_& m);

}  // namespace sabot::python
