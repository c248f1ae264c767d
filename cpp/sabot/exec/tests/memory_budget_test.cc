// MemoryBudget accounting (single and concurrent), reservations, byte sizes, and spill
// files: round trip, partitioning, and cleanup.
#include "sabot/exec/memory_budget.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "sabot/common/byte_size.h"
#include "sabot/exec/spill_file.h"

namespace sabot {
namespace {

std::shared_ptr<arrow::Schema> Schema() {
  return arrow::schema({arrow::field("x", arrow::int64()), arrow::field("s", arrow::utf8())});
}

std::shared_ptr<arrow::RecordBatch> Batch(int64_t first, int64_t n) {
  arrow::Int64Builder x;
  arrow::StringBuilder s;
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_TRUE(x.Append(first + i).ok());
    EXPECT_TRUE((i % 5 == 0 ? s.AppendNull() : s.Append("v" + std::to_string(first + i))).ok());
  }
  return arrow::RecordBatch::Make(Schema(), n, {*x.Finish(), *s.Finish()});
}

TEST(MemoryBudget, ReservesWithinTheLimitAndReleases) {
  MemoryBudget budget({1000, true, {}});
  EXPECT_TRUE(budget.TryReserve(600));
  EXPECT_FALSE(budget.TryReserve(401));
  EXPECT_TRUE(budget.TryReserve(400));
  EXPECT_EQ(budget.used(), 1000);
  budget.Release(700);
  EXPECT_EQ(budget.used(), 300);
  budget.ForceReserve(900);  // past the limit on purpose
  EXPECT_EQ(budget.used(), 1200);
  EXPECT_EQ(budget.peak(), 1200);
  EXPECT_FALSE(budget.TryReserve(1));
}

TEST(MemoryBudget, ZeroLimitIsUnlimited) {
  MemoryBudget budget({0, true, {}});
  EXPECT_TRUE(budget.unlimited());
  EXPECT_TRUE(budget.TryReserve(int64_t{1} << 50));
}

TEST(MemoryBudget, ConcurrentReservationsNeverPassTheLimit) {
  MemoryBudget budget({10'000, true, {}});
  std::atomic<int64_t> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) {
        if (budget.TryReserve(7)) {
          granted.fetch_add(7);
          EXPECT_LE(budget.used(), 10'000);
          if (i % 2 == 0) {
            budget.Release(7);
            granted.fetch_sub(7);
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(budget.used(), granted.load());
  EXPECT_LE(budget.used(), 10'000);
  EXPECT_GT(budget.used(), 10'000 - 7);  // it filled up
  EXPECT_LE(budget.peak(), 10'000);
}

TEST(MemoryReservation, GrowsShrinksAndGivesBackOnDestruction) {
  auto budget = MemoryBudget::Make(100);
  {
    MemoryReservation a(budget), b(budget);
    EXPECT_TRUE(a.TryResize(60));
    EXPECT_FALSE(b.TryResize(50));
    EXPECT_EQ(b.bytes(), 0);
    EXPECT_TRUE(b.TryResize(40));
    EXPECT_TRUE(a.TryResize(10));  // shrinking always works
    EXPECT_EQ(budget->used(), 50);
    b.Resize(500);
    EXPECT_EQ(budget->used(), 510);
  }
  EXPECT_EQ(budget->used(), 0);
  MemoryReservation unlimited;
  EXPECT_TRUE(unlimited.TryResize(int64_t{1} << 40));
}

TEST(MemoryBudget, ExceededErrorNamesOperatorAndNumbers) {
  MemoryBudget budget({64 << 20, false, {}});
  auto st = budget.ExceededError("hash aggregate", 60 << 20, 8 << 20);
  EXPECT_TRUE(st.IsOutOfMemory());
  EXPECT_NE(st.message().find("hash aggregate needs more memory than the job's budget of 64.0 MiB"),
            std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("Spilling is disabled; raise --memory-limit or allow spilling"), std::string::npos);
}

TEST(ByteSize, ParsesUnitsAndRejectsJunk) {
  EXPECT_EQ(*ParseByteSize("512MB"), int64_t{512} << 20);
  EXPECT_EQ(*ParseByteSize("512m"), int64_t{512} << 20);
  EXPECT_EQ(*ParseByteSize("2G"), int64_t{2} << 30);
  EXPECT_EQ(*ParseByteSize("1.5GiB"), int64_t{3} << 29);
  EXPECT_EQ(*ParseByteSize("64k"), 64 * 1024);
  EXPECT_EQ(*ParseByteSize("1048576"), 1048576);
  EXPECT_EQ(*ParseByteSize("100B"), 100);
  for (const char* junk : {"", "MB", "12XB", "1..2G", "-5M", "5 M B x", "lots"}) {
    EXPECT_FALSE(ParseByteSize(junk).ok()) << junk;
  }
  EXPECT_EQ(FormatByteSize(512), "512 B");
  EXPECT_EQ(FormatByteSize(64 << 20), "64.0 MiB");
  EXPECT_EQ(FormatByteSize(int64_t{3} << 29), "1.5 GiB");
}

TEST(SpillFile, RoundTripsBatchesAndRemovesItself) {
  auto budget = MemoryBudget::Make(1 << 20);
  std::filesystem::path path;
  {
    auto file = *SpillFile::Create(budget, Schema(), "test");
    path = file->path();
    EXPECT_TRUE(std::filesystem::exists(path));
    EXPECT_EQ(path.parent_path(), budget->spill_directory());
    ASSERT_TRUE(file->Write(*Batch(0, 1000)).ok());
    ASSERT_TRUE(file->Write(*Batch(1000, 10)->Slice(3, 5)).ok());  // slices write only their rows
    ASSERT_TRUE(file->Finish().ok());
    EXPECT_EQ(file->num_rows(), 1005);
    auto batches = *ReadSpillFile(*file);
    ASSERT_EQ(batches.size(), 2u);
    EXPECT_TRUE(batches[0]->Equals(*Batch(0, 1000)));
    EXPECT_TRUE(batches[1]->Equals(*Batch(1000, 10)->Slice(3, 5)));
    // Readable again.
    EXPECT_EQ((*ReadSpillFile(*file)).size(), 2u);
    EXPECT_EQ(budget->spill_files(), 1);
    EXPECT_GT(budget->spilled_bytes(), 1000 * 8);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  const auto directory = budget->spill_directory();
  EXPECT_TRUE(std::filesystem::exists(directory));
  budget.reset();
  EXPECT_FALSE(std::filesystem::exists(directory));
}

TEST(SpillFile, GoesUnderAChosenParentFolder) {
  auto parent = std::filesystem::temp_directory_path() / ("sabot-spill-parent-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(parent);
  {
    auto budget = std::make_shared<MemoryBudget>(MemoryBudget::Options{1 << 20, true, parent});
    auto file = *SpillFile::Create(budget, Schema(), "test");
    EXPECT_EQ(file->path().parent_path().parent_path(), parent);
  }
  EXPECT_TRUE(std::filesystem::is_empty(parent));  // the budget's own folder is gone, the parent stays
  std::filesystem::remove(parent);
}

TEST(SpillFile, ANewFolderEvenWhereADeadProcessLeftOneOfTheSameName) {
  // A process that died with this process's id left its spill folders (this process's
  // first names, and a file in each): the budget makes one of its own and leaves theirs.
  auto parent = std::filesystem::temp_directory_path() / ("sabot-spill-stale-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(parent);
  std::vector<std::filesystem::path> stale;
  for (int i = 0; i < 100; ++i) {
    stale.push_back(parent / ("sabot-spill-" + std::to_string(::getpid()) + "-" + std::to_string(i)));
    std::filesystem::create_directories(stale.back());
    std::ofstream(stale.back() / "join-build-0.arrows") << "left by a dead process";
  }
  std::filesystem::path mine;
  {
    auto budget = std::make_shared<MemoryBudget>(MemoryBudget::Options{1 << 20, true, parent});
    auto file = *SpillFile::Create(budget, Schema(), "join-build");
    mine = file->path().parent_path();
    EXPECT_EQ(std::find(stale.begin(), stale.end(), mine), stale.end()) << mine;
    EXPECT_EQ(mine.parent_path(), parent);
  }
  EXPECT_FALSE(std::filesystem::exists(mine));
  for (const auto& folder : stale) EXPECT_TRUE(std::filesystem::exists(folder / "join-build-0.arrows")) << folder;
  std::filesystem::remove_all(parent);
}

TEST(SpilledPartitions, RoutesRowsKeepingTheirOrder) {
  auto budget = MemoryBudget::Make(1 << 20);
  auto parts = *SpilledPartitions::Make(budget, Schema(), 3, "part");
  auto batch = Batch(0, 100);
  std::vector<uint16_t> partition_of(100);
  for (int i = 0; i < 100; ++i) partition_of[i] = static_cast<uint16_t>((i * i) % 3 == 0 ? 0 : 1);  // none in 2
  ASSERT_TRUE(parts->Append(batch, partition_of).ok());
  ASSERT_TRUE(parts->Append(Batch(100, 4), {2, 2, 2, 2}).ok());
  ASSERT_TRUE(parts->Finish().ok());
  for (int p = 0; p < 3; ++p) {
    std::vector<int64_t> got;
    for (const auto& b : *ReadSpillFile(parts->partition(p))) {
      const auto& x = static_cast<const arrow::Int64Array&>(*b->column(0));
      for (int64_t i = 0; i < x.length(); ++i) got.push_back(x.Value(i));
    }
    std::vector<int64_t> want;
    for (int i = 0; i < 100; ++i) {
      if (partition_of[i] == p) want.push_back(i);
    }
    if (p == 2) want = {100, 101, 102, 103};
    EXPECT_EQ(got, want) << "partition " << p;
  }
  auto released = parts->Release(1);
  auto path = released->path();
  released.reset();
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace sabot
