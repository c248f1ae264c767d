// DecodeDictionaries: Take of each dictionary's values by the batch's indices.
#include "sabot/ops/decode_dictionaries.h"

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>

namespace sabot {

Result<std::shared_ptr<arrow::RecordBatch>> DecodeDictionariesOperator::Transform(
    const std::shared_ptr<arrow::RecordBatch>& batch) {
  SABOT_CHECK(batch->num_columns() == output_schema()->num_fields());
  arrow::ArrayVector columns = batch->columns();
  for (size_t c = 0; c < columns.size(); ++c) {
    auto& column = columns[c];
    // A dictionary column the output keeps (group keys, see LeaveKeysEncoded) stays as it is.
    if (column->type_id() != arrow::Type::DICTIONARY ||
        output_schema()->field(static_cast<int>(c))->type()->id() == arrow::Type::DICTIONARY) {
      continue;
    }
    const auto& dict = static_cast<const arrow::DictionaryArray&>(*column);
    // Bounds-checked: the indices come from a file.
    ARROW_ASSIGN_OR_RAISE(auto plain, arrow::compute::Take(*dict.dictionary(), *dict.indices()));
    column = std::move(plain);
  }
  return arrow::RecordBatch::Make(output_schema(), batch->num_rows(), std::move(columns));
}

}  // namespace sabot
