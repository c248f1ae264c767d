// ParseByteSize and FormatByteSize.
#include "sabot/common/byte_size.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>

namespace sabot {

Result<int64_t> ParseByteSize(std::string_view text) {
  auto bad = [&]() {
    return Status::Invalid("cannot read '", std::string(text),
                           "' as a size: expected a number with an optional unit, e.g. 512MB, 2G, 1048576");
  };
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  const std::string number(text.substr(0, i));
  if (number.empty() || number == "." || number.find('.') != number.rfind('.')) return bad();
  std::string unit;
  for (char c : text.substr(i)) {
    if (c != ' ') unit.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  double scale = 0;
  if (unit.empty() || unit == "B") {
    scale = 1;
  } else {
    static constexpr std::string_view kUnits = "KMGT";
    const size_t power = kUnits.find(unit[0]);
    const std::string_view rest = std::string_view(unit).substr(1);
    if (power == std::string_view::npos || !(rest.empty() || rest == "B" || rest == "IB")) return bad();
    scale = std::ldexp(1.0, 10 * static_cast<int>(power + 1));
  }
  const double bytes = std::stod(number) * scale;
  if (!(bytes < 9.0e18)) return bad();
  return static_cast<int64_t>(std::llround(bytes));
}

std::string FormatByteSize(int64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char out[32];
  std::snprintf(out, sizeof(out), "%.1f %s", value, kUnits[unit]);
  return out;
}

}  // namespace sabot
