// PlanMetrics and the stats table.
#include "sabot/exec/operator_metrics.h"

#include <algorithm>
#include <cstdio>

namespace sabot {

OperatorMetrics* PlanMetrics::Add(const void* key, std::string label, int depth) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = slots_.emplace_back();
  slot.label = std::move(label);
  slot.depth = depth;
  index_.emplace_back(key, &slot);
  return &slot;
}

OperatorMetrics* PlanMetrics::Find(const void* key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [k, slot] : index_) {
    if (k == key) return slot;
  }
  return nullptr;
}

std::vector<OperatorStats> PlanMetrics::Snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<OperatorStats> out;
  for (const auto& m : slots_) {
    out.push_back({m.label, m.depth, m.rows_in.load(), m.batches_in.load(), m.rows_out.load(), m.batches_out.load(),
                   std::chrono::nanoseconds(m.busy_ns.load()), m.peak_state_rows.load(), m.late_rows.load(), m.expired_keys.load(),
                   m.skipped_rows.load()});
  }
  return out;
}

std::string FormatOperatorStats(const std::vector<OperatorStats>& stats) {
  // Columns shown only when some step has a count in them, in this order.
  struct Optional {
    const char* header;
    int64_t OperatorStats::*count;
    bool shown;
  };
  Optional optional[] = {{"peak state", &OperatorStats::peak_state_rows, false},
                         {"late rows", &OperatorStats::late_rows, false},
                         {"expired keys", &OperatorStats::expired_keys, false},
                         {"skipped rows", &OperatorStats::skipped_rows, false}};
  int64_t total_ns = 0;
  size_t width = 4;
  for (const auto& s : stats) {
    total_ns += s.busy.count();
    for (auto& column : optional) column.shown |= s.*column.count > 0;
    width = std::max(width, s.label.size() + 2 * static_cast<size_t>(s.depth));
  }
  width = std::min<size_t>(width, 60);
  std::string out;
  char line[256];
  // Each shown optional column's cell of a row: its header, "-", or the step's count.
  auto optional_cells = [&](auto cell) {
    for (const auto& column : optional) {
      if (!column.shown) continue;
      cell(column);
      out += line;
    }
    out += "\n";
  };
  std::snprintf(line, sizeof(line), "%-*s %13s %9s %13s %9s %10s %6s", static_cast<int>(width), "step", "rows in",
                "batches", "rows out", "batches", "own ms", "share");
  out += line;
  optional_cells([&](const Optional& column) { std::snprintf(line, sizeof(line), " %12s", column.header); });
  for (const auto& s : stats) {
    std::string name = std::string(2 * static_cast<size_t>(s.depth), ' ') + s.label;
    if (name.size() > width) name = name.substr(0, width - 3) + "...";
    const double ms = static_cast<double>(s.busy.count()) / 1e6;
    const double share = total_ns > 0 ? 100.0 * static_cast<double>(s.busy.count()) / static_cast<double>(total_ns) : 0;
    if (s.batches_in == 0 && s.batches_out == 0 && s.busy.count() == 0 && s.skipped_rows == 0) {
      // A source (its rows show as its consumer's rows in), or a step that never ran.
      std::snprintf(line, sizeof(line), "%-*s %13s %9s %13s %9s %10s %6s", static_cast<int>(width), name.c_str(), "-",
                    "-", "-", "-", "-", "-");
      out += line;
      optional_cells([&](const Optional&) { std::snprintf(line, sizeof(line), " %12s", "-"); });
      continue;
    }
    std::snprintf(line, sizeof(line), "%-*s %13lld %9lld %13lld %9lld %10.1f %5.1f%%", static_cast<int>(width),
                  name.c_str(), static_cast<long long>(s.rows_in), static_cast<long long>(s.batches_in),
                  static_cast<long long>(s.rows_out), static_cast<long long>(s.batches_out), ms, share);
    out += line;
    optional_cells([&](const Optional& column) {
      std::snprintf(line, sizeof(line), " %12lld", static_cast<long long>(s.*column.count));
    });
  }
  return out;
}

}  // namespace sabot
