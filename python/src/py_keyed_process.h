// Keyed process functions written in Python: a factory the plan holds, a function per
// operator that calls the user's object under the GIL, and the context it sees.
#pragma once

#include <memory>
#include <string>

#include <nanobind/nanobind.h>

#include "sabot/plan/plan_node.h"

namespace sabot::python {

namespace nb = nanobind;

//! Makes PyKeyedProcessFunctions over one user object. `invoke(obj, event, ctx, a, b)`
//! is the Python-side adapter: event "rows" with the rows' (schema, array) capsules,
//! event "timer" with the time and None.
class PyKeyedProcessFactory final : public KeyedProcessFactory {
 public:
  PyKeyedProcessFactory(nb::object fn, nb::object invoke, std::string name, std::shared_ptr<arrow::Schema> output);
  ~PyKeyedProcessFactory() override;
  std::string name() const override { return name_; }
  std::unique_ptr<KeyedProcessFunction> Make() const override;
  //! Every function made calls the one user object (which may keep attributes of its
  //! own), and under the GIL several threads would only take turns.
  bool runs_in_parallel() const override { return false; }

 private:
  // Heap-held so they can be dropped under the GIL from whichever thread runs last.
  nb::object* fn_;
  nb::object* invoke_;
  std::string name_;
  std::shared_ptr<arrow::Schema> output_;
};

//! Registers the context class Python process functions receive.
void BindKeyedProcessContext(nb::module_& m);

}  // namespace sabot::python
