// PhysicalPlan: a wired graph of operators fed by sources, ready to run.
#pragma once

#include <memory>
#include <vector>

#include "sabot/exec/operator.h"
#include "sabot/exec/source.h"

namespace sabot {

//! A source and the operator input it feeds.
struct SourceBinding {
  std::shared_ptr<Source> source;
  Operator* target = nullptr;
  int port = 0;
};

struct PhysicalPlan {
  std::vector<std::unique_ptr<Operator>> operators;  //!< owned; wired with ConnectTo
  std::vector<SourceBinding> sources;
  Sink* sink = nullptr;  //!< one of `operators`
};

}  // namespace sabot
