// TaskPool: a fixed set of worker threads running submitted tasks in FIFO order.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace sabot {

//! How long a parked pool thread waits for another pool before it ends.
inline constexpr auto kParkedThreadIdle = std::chrono::seconds(30);
//! A thread parked this long hands the memory its allocator keeps back to the OS once.
//! mimalloc purges freed memory only when the thread that owns it allocates again, so
//! idle workers kept what the last query freed: the peak of a pass of queries was the
//! sum of each worker's largest, well above any one query's. Queries run their phases
//! back to back, so a worker parked this long is between queries, not in one.
//! One second was tried: TPC-H SF1 on 16 threads of a 2-core machine ran 0.87 -> 0.97 of
//! DuckDB's speed (queries a few hundred milliseconds apart no longer faulted their
//! working set in again), but on 16 real cores (SF10) it changed neither the speed
//! (ratio 0.90 with 1 s, 0.87 with 200 ms) nor the peak (2714 and 2654 MiB) beyond noise.
inline constexpr auto kParkedThreadReleasesMemory = std::chrono::milliseconds(200);

//! A fixed-size pool owned by one executor run. Tasks receive the index of the worker
//! that runs them, in [0, size()), so a task can use that worker's local state (its
//! copy of the operators) without a lock.
//!
//! One shared FIFO queue, not per-thread deques with stealing: morsels are coarse
//! (a 64K-row slice, a 1M-row generator range: milliseconds of work each), so one
//! lock per task is noise, and the order-preserving collector wants morsels started
//! in source order; stealing from the far end of a deque would start late morsels
//! first and grow the reorder buffer. Work stealing pays off once tasks are fine
//! grained or spawn tasks; that is the next step, behind the same Submit interface.
//!
//! On a machine with several NUMA nodes, worker w is pinned to node w % nodes (see
//! numa.h); on one node nothing is pinned and the OS schedules freely.
//!
//! The threads come from a process-wide cache of parked threads and go back to it when
//! the pool ends: a query runs several pools (each join build, the probe), and creating
//! and ending 16 threads each time cost as much kernel time as the work of a small
//! morsel, with fresh stacks and allocator caches to fault in. A parked thread that no
//! pool asks for within kParkedThreadIdle ends.
class TaskPool {
 public:
  using Task = std::function<void(int worker)>;

  //! At least one thread, whatever `threads` says.
  explicit TaskPool(int threads);
  //! Runs the tasks already queued, then waits for the threads to leave (to their cache).
  ~TaskPool();

  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  int size() const { return size_; }
  void Submit(Task task);
  //! Blocks until every submitted task has finished.
  void WaitIdle();

 private:
  void WorkerLoop(int worker);

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable idle_;
  std::condition_variable left_;
  std::deque<Task> queue_;
  int running_ = 0;
  bool stopping_ = false;
  int size_ = 0;
  int active_workers_ = 0;  // workers still in WorkerLoop
};

//! Threads parked for TaskPools (see there); for tests.
int ParkedThreadsForTesting();

//! How many times parked threads idled long enough to release their allocator's memory
//! (the release itself is skipped for the system pool, see task_pool.cc); for tests.
int64_t ParkedMemoryReleasesForTesting();

//! Runs fn(worker) for worker 0..workers-1 and waits for all of them: the parallel steps
//! of one operator (a join build's hashing, insert and layout) that split their work by
//! worker index themselves. Worker 0 is the calling thread, which would only wait
//! otherwise; the others are TaskPool's parked threads, back in their cache when this
//! returns. (A pool of all of them took longer: a join build's steps of 5-10 ms each on
//! 2 threads, 780K orders, took 28 ms together, 23 this way: every hand-off to a
//! sleeping thread waits for it to wake, up to milliseconds on a virtual machine.)
void RunOnParkedThreads(int workers, const std::function<void(int)>& fn);
template <typename Fn>
void RunOnWorkers(int workers, Fn&& fn) {
  if (workers <= 1) {
    fn(0);
    return;
  }
  RunOnParkedThreads(workers, [&fn](int w) { fn(w); });
}

//! Runs fn(task) for task 0..tasks-1 on `workers` threads (as RunOnWorkers) and waits for
//! all of them. Each thread claims the next task as it finishes its last, so a thread
//! that starts late or runs slow does fewer: split statically, a step took as long as
//! its slowest share, and on a shared machine one worker woke 2-4 ms late in about half
//! of a join build's steps (780K rows, 2 threads: its insert took 9 ms where each share
//! was 5). Tasks should be many more than workers and each worth well over the atomic.
template <typename Fn>
void RunClaimed(int workers, int64_t tasks, Fn&& fn) {
  if (workers <= 1 || tasks <= 1) {
    for (int64_t task = 0; task < tasks; ++task) fn(task);
    return;
  }
  std::atomic<int64_t> next{0};
  RunOnWorkers(static_cast<int>(std::min<int64_t>(workers, tasks)), [&](int) {
    for (int64_t task = next.fetch_add(1, std::memory_order_relaxed); task < tasks;
         task = next.fetch_add(1, std::memory_order_relaxed)) {
      fn(task);
    }
  });
}

//! Runs fn(chunk, begin, end) over items [0, n) cut into chunks of `chunk_items` (the
//! last may be shorter), chunk k = [k * chunk_items, ...), claimed as RunClaimed does.
template <typename Fn>
void RunClaimedChunks(int workers, int64_t n, int64_t chunk_items, Fn&& fn) {
  const int64_t chunks = (n + chunk_items - 1) / chunk_items;
  RunClaimed(workers, chunks, [&](int64_t k) { fn(k, k * chunk_items, std::min(n, (k + 1) * chunk_items)); });
}

//! Worker `worker`'s share [begin, end) of n items split evenly over `workers`.
inline std::pair<int64_t, int64_t> WorkerRange(int64_t n, int worker, int workers) {
  return {n * worker / workers, n * (worker + 1) / workers};
}

}  // namespace sabot
