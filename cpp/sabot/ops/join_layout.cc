// Resolution of a JoinSpec against the input schemas.
#include "sabot/ops/join_layout.h"

#include <unordered_set>

#include <arrow/type.h>

#include "sabot/common/type_names.h"
#include "sabot/ops/join_keys.h"

namespace sabot {

namespace {

std::vector<std::string> FieldNames(const arrow::Schema& schema) {
  std::vector<std::string> names;
  for (const auto& f : schema.fields()) names.push_back(f->name());
  return names;
}

Result<int> FindKey(const arrow::Schema& schema, const std::string& name, std::string_view side) {
  auto indices = schema.GetAllFieldIndices(name);
  if (indices.empty()) {
    return Status::KeyError("join key '", name, "' is not a column of the ", side,
                            " input; its columns are: ", JoinNames(FieldNames(schema)));
  }
  if (indices.size() > 1) {
    return Status::KeyError("join key '", name, "' is ambiguous: the ", side, " input has it more than once");
  }
  return indices.front();
}

}  // namespace

Result<JoinLayout> ResolveJoin(const std::shared_ptr<arrow::Schema>& left,
                               const std::shared_ptr<arrow::Schema>& right, const JoinSpec& spec) {
  if (spec.left_keys.size() != spec.right_keys.size()) {
    return Status::Invalid("join has ", spec.left_keys.size(), " left keys but ", spec.right_keys.size(),
                           " right keys; they must pair up");
  }
  if (spec.left_keys.empty()) return Status::Invalid("join needs at least one key column pair");

  JoinLayout layout;
  for (size_t k = 0; k < spec.left_keys.size(); ++k) {
    ARROW_ASSIGN_OR_RAISE(int li, FindKey(*left, spec.left_keys[k], "left"));
    ARROW_ASSIGN_OR_RAISE(int ri, FindKey(*right, spec.right_keys[k], "right"));
    const auto& lt = *left->field(li)->type();
    const auto& rt = *right->field(ri)->type();
    auto describe = [&]() {
      return std::string("join key ") + std::to_string(k) + ": left " + spec.left_keys[k] + " is " +
             FormatDataType(lt) + ", right " + spec.right_keys[k] + " is " + FormatDataType(rt);
    };
    if (!AreComparableJoinKeyTypes(lt, rt)) return Status::TypeError(describe());
    if (!IsSupportedJoinKeyType(lt)) {
      return Status::TypeError(describe(), "; this type cannot be a join key (supported: ",
                               kSupportedJoinKeyTypes, ")");
    }
    layout.left_key_indices.push_back(li);
    layout.right_key_indices.push_back(ri);
  }

  const bool left_nullable = KeepsUnmatchedRight(spec.type);
  const bool right_nullable = KeepsUnmatchedLeft(spec.type) && !OutputsLeftOnly(spec.type);
  arrow::FieldVector fields;
  std::unordered_set<std::string> used;
  for (const auto& f : left->fields()) {
    fields.push_back(left_nullable ? f->WithNullable(true) : f);
    used.insert(f->name());
  }
  for (const auto& f : right->fields()) {
    // Suffix until unique, so a left column already named "a_right" cannot clash either.
    std::string name = f->name();
    if (used.count(name) > 0 && spec.right_suffix.empty()) {
      return Status::Invalid("right column '", name, "' clashes with a left column and the join's right_suffix is empty");
    }
    while (used.count(name) > 0) name += spec.right_suffix;
    used.insert(name);
    auto renamed = f->WithName(name);
    fields.push_back(right_nullable ? renamed->WithNullable(true) : renamed);
  }
  layout.joined_schema = arrow::schema(std::move(fields));
  // Right semi/anti output the right columns under their own names: the suffix only tells
  // them apart from left columns, which are not there (and the swapped semi join the
  // optimizer writes must keep its original names).
  const auto& all = OutputsLeftOnly(spec.type) ? left : OutputsRightOnly(spec.type) ? right : layout.joined_schema;
  const int first_right = OutputsRightOnly(spec.type) ? 0 : left->num_fields();
  std::unordered_set<std::string> wanted;
  if (spec.output_columns) {
    for (const auto& name : *spec.output_columns) {
      if (all->GetFieldIndex(name) < 0) {
        return Status::KeyError("join output column '", name, "' is not a column of the join; its columns are: ",
                                JoinNames(all->field_names()));
      }
      wanted.insert(name);
    }
  }
  arrow::FieldVector output;
  for (int i = 0; i < all->num_fields(); ++i) {
    if (spec.output_columns && wanted.count(all->field(i)->name()) == 0) continue;
    output.push_back(all->field(i));
    if (i < first_right) {
      layout.left_output.push_back(i);
    } else {
      layout.right_output.push_back(i - first_right);
    }
  }
  layout.output_schema = spec.output_columns ? arrow::schema(std::move(output)) : all;
  return layout;
}

}  // namespace sabot
