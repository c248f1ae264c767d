// Join type names.
#include "sabot/plan/join_spec.h"

#include <array>

namespace sabot {

namespace {

constexpr std::array<std::pair<JoinType, std::string_view>, 8> kJoinTypeNames = {{
    {JoinType::kInner, "inner"},
    {JoinType::kLeft, "left"},
    {JoinType::kRight, "right"},
    {JoinType::kFull, "full"},
    {JoinType::kSemi, "semi"},
    {JoinType::kAnti, "anti"},
    {JoinType::kRightSemi, "right_semi"},
    {JoinType::kRightAnti, "right_anti"},
}};

}  // namespace

std::string_view ToString(JoinType t) {
  for (const auto& [type, name] : kJoinTypeNames) {
    if (type == t) return name;
  }
  return "unknown";
}

Result<JoinType> ParseJoinType(std::string_view name) {
  std::vector<std::string> valid;
  for (const auto& [type, type_name] : kJoinTypeNames) {
    if (type_name == name) return type;
    valid.emplace_back(type_name);
  }
  return Status::Invalid("unknown join type '", name, "'; valid types are: ", JoinNames(valid));
}

bool KeepsUnmatchedLeft(JoinType t) {
  return t == JoinType::kLeft || t == JoinType::kFull || t == JoinType::kAnti;
}
bool KeepsUnmatchedRight(JoinType t) { return t == JoinType::kRight || t == JoinType::kFull; }
bool OutputsLeftOnly(JoinType t) { return t == JoinType::kSemi || t == JoinType::kAnti; }
bool OutputsRightOnly(JoinType t) { return t == JoinType::kRightSemi || t == JoinType::kRightAnti; }

}  // namespace sabot
