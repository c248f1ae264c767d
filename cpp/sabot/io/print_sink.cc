// Pretty table printing of a query's result.
#include "sabot/io/print_sink.h"

#include <algorithm>
#include <iostream>
#include <ostream>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <arrow/record_batch.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

#include "sabot/common/type_names.h"

namespace sabot {
namespace {

bool IsUtf8Continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

//! Characters as a terminal counts them (code points; wide glyphs are not special-cased).
size_t DisplayWidth(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(),
                                           [](char c) { return !IsUtf8Continuation(c); }));
}

//! Keeps a cell on one line and at most kPrintMaxCellWidth characters wide.
std::string CellText(std::string raw) {
  std::string text;
  for (char c : raw) {
    if (c == '\n') text += "\\n";
    else if (c == '\t') text += "\\t";
    else if (c == '\r') text += "\\r";
    else if (static_cast<unsigned char>(c) < 0x20) text += '?';
    else text += c;
  }
  if (DisplayWidth(text) <= static_cast<size_t>(kPrintMaxCellWidth)) return text;
  size_t chars = 0;
  size_t cut = 0;
  while (cut < text.size()) {
    if (!IsUtf8Continuation(text[cut]) && chars++ == kPrintMaxCellWidth - 1) break;
    ++cut;
  }
  text.resize(cut);
  return text + "…";
}

bool IsNumeric(const arrow::DataType& type) {
  return arrow::is_integer(type.id()) || arrow::is_floating(type.id()) ||
         arrow::is_decimal(type.id());
}

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

class PrintSink final : public BatchSink {
 public:
  PrintSink(std::shared_ptr<arrow::Schema> input_schema, int64_t max_rows, SinkOutput* output)
      : BatchSink(std::move(input_schema), output), max_rows_(max_rows) {}

  std::string_view name() const override { return "PrintSink"; }

 protected:
  Status Consume(const std::shared_ptr<arrow::RecordBatch>& batch) override {
    total_rows_ += batch->num_rows();
    const int64_t room = max_rows_ < 0 ? batch->num_rows() : max_rows_ - shown_rows_;
    const int64_t take = std::min(room, batch->num_rows());
    if (take > 0) {
      shown_.push_back(batch->Slice(0, take));
      shown_rows_ += take;
    }
    return Status::OK();
  }

  Status Commit() override {
    std::ostream& out = output()->print_to != nullptr ? *output()->print_to : std::cout;
    ARROW_ASSIGN_OR_RAISE(std::string table, Render());
    out << table;
    out.flush();
    if (!out) return Status::IOError("print sink: writing the table failed");
    return Status::OK();
  }

  Status Discard() override {
    shown_.clear();
    return Status::OK();
  }

 private:
  //! Only the shown cells are formatted, so the per-cell scalar here costs nothing.
  Result<std::string> Render() const {
    const auto& fields = input_schema()->fields();
    const size_t num_columns = fields.size();
    std::vector<std::vector<std::string>> rows;  // header, types, then values
    rows.emplace_back();
    rows.emplace_back();
    for (const auto& field : fields) {
      rows[0].push_back(CellText(field->name()));
      rows[1].push_back(CellText(FormatDataType(*field->type())));
    }
    for (const auto& batch : shown_) {
      const size_t first = rows.size();
      rows.resize(first + batch->num_rows(), std::vector<std::string>(num_columns));
      for (size_t c = 0; c < num_columns; ++c) {
        const arrow::Array& column = *batch->column(static_cast<int>(c));
        for (int64_t r = 0; r < batch->num_rows(); ++r) {
          std::string text = "null";
          if (!column.IsNull(r)) {
            ARROW_ASSIGN_OR_RAISE(auto scalar, column.GetScalar(r));
            text = scalar->ToString();
          }
          rows[first + r][c] = CellText(std::move(text));
        }
      }
    }

    std::string out;
    if (num_columns > 0) {
      std::vector<size_t> widths(num_columns, 0);
      for (const auto& row : rows) {
        for (size_t c = 0; c < num_columns; ++c) {
          widths[c] = std::max(widths[c], DisplayWidth(row[c]));
        }
      }
      auto rule = [&](std::string_view left, std::string_view mid, std::string_view right) {
        out += left;
        for (size_t c = 0; c < num_columns; ++c) {
          if (c > 0) out += mid;
          out += Repeat("─", widths[c] + 2);
        }
        out += right;
        out += '\n';
      };
      auto line = [&](const std::vector<std::string>& cells, bool align_numbers) {
        for (size_t c = 0; c < num_columns; ++c) {
          const std::string pad(widths[c] - DisplayWidth(cells[c]), ' ');
          const bool right = align_numbers && IsNumeric(*fields[c]->type());
          out += "│ ";
          out += right ? pad + cells[c] : cells[c] + pad;
          out += ' ';
        }
        out += "│\n";
      };
      rule("┌", "┬", "┐");
      line(rows[0], false);
      line(rows[1], false);
      rule("├", "┼", "┤");
      for (size_t r = 2; r < rows.size(); ++r) line(rows[r], true);
      rule("└", "┴", "┘");
    }
    out += std::to_string(total_rows_) + (total_rows_ == 1 ? " row" : " rows");
    if (shown_rows_ < total_rows_) {
      out += " (showing first " + std::to_string(shown_rows_) + ")";
    }
    out += '\n';
    return out;
  }

  int64_t max_rows_;
  int64_t total_rows_ = 0;
  int64_t shown_rows_ = 0;
  std::vector<std::shared_ptr<arrow::RecordBatch>> shown_;
};

}  // namespace

Result<std::unique_ptr<Sink>> MakePrintSink(std::shared_ptr<arrow::Schema> input_schema,
                                            int64_t max_rows, SinkOutput* output) {
  return std::make_unique<PrintSink>(std::move(input_schema), max_rows, output);
}

}  // namespace sabot
