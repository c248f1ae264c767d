// Plans as versioned JSON files: what `sabot run plan.json` reads. The format is
// documented in docs/plan-format.md; a file of another version is refused by name.
#pragma once

#include <string>
#include <string_view>

#include "sabot/common/errors.h"
#include "sabot/plan/plan_node.h"

namespace sabot {

//! Bumped on every incompatible change of the format.
inline constexpr int kPlanFormatVersion = 1;

//! Pretty-printed JSON. Plans over in-memory tables cannot be serialized.
Result<std::string> SerializePlan(const PlanNode& root);

struct PlanReadOptions {
  std::string origin = "plan";  //!< named in errors (the file path)
  std::string base_dir;         //!< relative data paths are taken from here (empty: as they are)
};

//! Errors name the origin and the place in the document ("plan.input.predicate").
Result<PlanPtr> DeserializePlan(std::string_view json_text, const PlanReadOptions& options = {});

//! Reads a plan file; relative data paths in it are relative to the file's folder.
Result<PlanPtr> ReadPlanFile(const std::string& path);

}  // namespace sabot
