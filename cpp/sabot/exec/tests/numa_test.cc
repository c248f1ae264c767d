// NUMA topology parsing from a fake sysfs, and worker placement.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "sabot/exec/numa.h"

namespace sabot {
namespace {

TEST(Numa, ParsesCpuLists) {
  EXPECT_EQ(*ParseCpuList("0-3,8,10-11\n"), (std::vector<int>{0, 1, 2, 3, 8, 10, 11}));
  EXPECT_EQ(*ParseCpuList("5"), (std::vector<int>{5}));
  EXPECT_TRUE(ParseCpuList("")->empty());
  for (const char* bad : {"3-1", "a", "1,,2", "-2", "1-"}) {
    auto parsed = ParseCpuList(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.status().message().find("not a CPU list"), std::string::npos);
  }
}

TEST(Numa, ReadsNodesInIdOrderAndSpreadsWorkers) {
  const auto root = std::filesystem::temp_directory_path() / ("sabot-numa-" + std::to_string(::getpid()));
  std::filesystem::remove_all(root);
  auto write = [&](const std::string& node, const std::string& cpus) {
    std::filesystem::create_directories(root / node);
    std::ofstream(root / node / "cpulist") << cpus << "\n";
  };
  write("node10", "16-17");  // numeric order, not text order
  write("node2", "8-15");
  write("node0", "0-7");
  write("node3", "");  // a memory-only node has no CPUs
  std::filesystem::create_directories(root / "power");
  const NumaTopology t = ReadNumaTopology(root.string());
  std::filesystem::remove_all(root);
  ASSERT_EQ(t.nodes(), 3);
  EXPECT_EQ(t.node_cpus[0].front(), 0);
  EXPECT_EQ(t.node_cpus[1].front(), 8);
  EXPECT_EQ(t.node_cpus[2], (std::vector<int>{16, 17}));
  EXPECT_EQ(t.NodeOfWorker(0), 0);
  EXPECT_EQ(t.NodeOfWorker(4), 1);
}

TEST(Numa, MissingSysfsIsOneFlatMachine) {
  const NumaTopology t = ReadNumaTopology("/nonexistent/sysfs");
  EXPECT_EQ(t.nodes(), 0);
  EXPECT_EQ(t.NodeOfWorker(3), 0);
  PinThreadToNode(t, 0);  // a no-op, not a crash
  EXPECT_GE(MachineNumaTopology().nodes(), 0);
}

}  // namespace
}  // namespace sabot
