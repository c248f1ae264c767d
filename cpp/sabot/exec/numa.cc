// NUMA topology from sysfs; thread pinning with sched_setaffinity.
#include "sabot/exec/numa.h"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>

namespace sabot {

namespace {

bool ParseInt(std::string_view text, int* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && *out >= 0;
}

}  // namespace

Result<std::vector<int>> ParseCpuList(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  std::vector<int> cpus;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view part = text.substr(start, comma - start);
    const size_t dash = part.find('-');
    int first = 0, last = 0;
    const bool ok = dash == std::string_view::npos
                        ? ParseInt(part, &first) && ParseInt(part, &last)
                        : ParseInt(part.substr(0, dash), &first) && ParseInt(part.substr(dash + 1), &last);
    if (!ok || last < first) return Status::Invalid("not a CPU list: '", text, "'");
    for (int c = first; c <= last; ++c) cpus.push_back(c);
    start = comma + 1;
  }
  return cpus;
}

NumaTopology ReadNumaTopology(const std::string& root) {
  NumaTopology topology;
  std::error_code ec;
  std::vector<std::pair<int, std::filesystem::path>> nodes;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    int id = 0;
    if (name.rfind("node", 0) == 0 && ParseInt(std::string_view(name).substr(4), &id)) {
      nodes.emplace_back(id, entry.path());
    }
  }
  std::sort(nodes.begin(), nodes.end());
  for (const auto& [id, path] : nodes) {
    std::ifstream in(path / "cpulist");
    std::string text;
    std::getline(in, text);
    auto cpus = ParseCpuList(text);
    if (cpus.ok() && !cpus->empty()) topology.node_cpus.push_back(std::move(*cpus));
  }
  return topology;
}

const NumaTopology& MachineNumaTopology() {
  static const NumaTopology topology = ReadNumaTopology();
  return topology;
}

void PinThreadToNode(const NumaTopology& topology, int node) {
  if (topology.nodes() < 2 || node < 0 || node >= topology.nodes()) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : topology.node_cpus[static_cast<size_t>(node)]) {
    if (cpu < CPU_SETSIZE) CPU_SET(cpu, &set);
  }
  (void)sched_setaffinity(0, sizeof(set), &set);
}

}  // namespace sabot
