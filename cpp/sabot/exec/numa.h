// The machine's NUMA layout, read from Linux sysfs, and pinning worker threads to it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sabot/common/errors.h"

namespace sabot {

//! The CPUs of each NUMA node, nodes in id order. One node (or an unreadable sysfs) means
//! placement does not matter.
struct NumaTopology {
  std::vector<std::vector<int>> node_cpus;

  int nodes() const { return static_cast<int>(node_cpus.size()); }
  //! Worker `w` of a pool lives on node w % nodes(): workers spread evenly over nodes,
  //! so each node's memory bandwidth serves its share.
  int NodeOfWorker(int worker) const { return nodes() == 0 ? 0 : worker % nodes(); }
};

//! Parses a kernel CPU list such as "0-7,16-23" or "3"; the error quotes the text.
Result<std::vector<int>> ParseCpuList(std::string_view text);

//! Reads node*/cpulist under `root` (normally /sys/devices/system/node). Nodes without
//! CPUs are skipped; a missing or unreadable root gives an empty topology.
NumaTopology ReadNumaTopology(const std::string& root = "/sys/devices/system/node");

//! This process's topology, read once.
const NumaTopology& MachineNumaTopology();

//! Pins the calling thread to the CPUs of `node`; does nothing on a single-node machine.
//! Failure (a container that forbids it) is not an error: placement is an optimization.
void PinThreadToNode(const NumaTopology& topology, int node);

}  // namespace sabot
