// Error helpers shared by every layer.
#include "sabot/common/errors.h"

#include <vector>

namespace sabot {

std::string JoinNames(const std::vector<std::string>& names, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += sep;
    out += names[i];
  }
  return out;
}

}  // namespace sabot
