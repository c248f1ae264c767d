// The worker threads of TaskPool.
#include "sabot/exec/task_pool.h"

#include <algorithm>
#include <atomic>
#include <functional>

#include <arrow/memory_pool.h>

#include "sabot/exec/numa.h"

namespace sabot {

namespace {

// Hands what this thread's allocator keeps back to the OS. Only for mimalloc and
// jemalloc, whose caches are per thread: the system pool's release is malloc_trim over
// every glibc arena (slow, and glibc returns large blocks on free anyway), and under
// ThreadSanitizer, which runs with the system pool, it crashes in glibc's arenas that
// TSan's own malloc never set up.
void ReleaseAllocatorMemory() {
  arrow::MemoryPool* pool = arrow::default_memory_pool();
  if (pool->backend_name() != "system") pool->ReleaseUnused();
}

// Parked threads: each waits for one job (a pool's worker loop), runs it, and parks again
// until kParkedThreadIdle passes without a job. Never destroyed, so a parked thread can
// still wait on it while the process exits.
class ThreadCache {
 public:
  static ThreadCache& Get() {
    static auto* cache = new ThreadCache();
    return *cache;
  }

  //! Runs `job` on a parked thread, or a new one; `parked` runs on that thread once it
  //! is parked again (so a pool that waits for it knows its threads are reusable).
  void Run(std::function<void()> job, std::function<void()> parked) {
    Job next{std::move(job), std::move(parked)};
    std::unique_lock<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      Parked* thread = idle_.back();
      idle_.pop_back();
      thread->job = std::move(next);
      thread->wake.notify_one();
      return;
    }
    lock.unlock();
    std::thread([this, first = std::move(next)]() mutable { Loop(std::move(first)); }).detach();
  }

  int parked() {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(idle_.size());
  }

  int64_t releases() const { return releases_.load(std::memory_order_relaxed); }

 private:
  struct Job {
    std::function<void()> run, parked;
  };
  struct Parked {
    std::condition_variable wake;
    Job job;
  };

  void Loop(Job job) {
    Parked self;
    for (;;) {
      job.run();
      std::unique_lock<std::mutex> lock(mutex_);
      idle_.push_back(&self);
      lock.unlock();
      job.parked();
      job = Job{};
      lock.lock();
      auto has_job = [&] { return self.job.run != nullptr; };
      bool woken = self.wake.wait_for(lock, kParkedThreadReleasesMemory, has_job);
      if (!woken) {
        // Still listed as parked: a job handed over meanwhile is seen by the wait below.
        lock.unlock();
        ReleaseAllocatorMemory();
        releases_.fetch_add(1, std::memory_order_relaxed);
        lock.lock();
        woken = self.wake.wait_for(lock, kParkedThreadIdle - kParkedThreadReleasesMemory, has_job);
      }
      if (!woken) {
        idle_.erase(std::find(idle_.begin(), idle_.end(), &self));
        return;
      }
      job = std::move(self.job);
      self.job = Job{};
    }
  }

  std::mutex mutex_;
  std::atomic<int64_t> releases_{0};
  std::vector<Parked*> idle_;  // the most recently parked last: its caches are warmest
};

}  // namespace

int ParkedThreadsForTesting() { return ThreadCache::Get().parked(); }

int64_t ParkedMemoryReleasesForTesting() { return ThreadCache::Get().releases(); }

void RunOnParkedThreads(int workers, const std::function<void(int)>& fn) {
  // Each worker but 0 is a job handed straight to a parked thread: one wake-up, where a
  // pool's worker loop waits a second time for its task to be queued.
  std::mutex mutex;
  std::condition_variable done;
  int running = workers - 1;
  for (int w = 1; w < workers; ++w) {
    ThreadCache::Get().Run(
        [&fn, w] {
          // As a pool's worker w is (see WorkerLoop): on a multi-node machine the workers
          // of a step spread over the nodes, whichever node the thread served last.
          const NumaTopology& topology = MachineNumaTopology();
          PinThreadToNode(topology, topology.NodeOfWorker(w));
          fn(w);
        },
        [&] {
          // The last touch of this call's state: it returns once it sees 0, which it
          // reads under the lock this releases.
          std::lock_guard<std::mutex> lock(mutex);
          if (--running == 0) done.notify_all();
        });
  }
  fn(0);
  std::unique_lock<std::mutex> lock(mutex);
  done.wait(lock, [&] { return running == 0; });
}

TaskPool::TaskPool(int threads) {
  size_ = std::max(threads, 1);
  active_workers_ = size_;
  for (int i = 0; i < size_; ++i) {
    ThreadCache::Get().Run([this, i] { WorkerLoop(i); },
                           [this] {
                             // The last touch of this pool: the destructor may return (and
                             // free it) once it sees 0.
                             std::lock_guard<std::mutex> lock(mutex_);
                             if (--active_workers_ == 0) left_.notify_all();
                           });
  }
}

TaskPool::~TaskPool() {
  std::unique_lock<std::mutex> lock(mutex_);
  stopping_ = true;
  work_ready_.notify_all();
  left_.wait(lock, [this] { return active_workers_ == 0; });
}

void TaskPool::Submit(Task task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(task));
  }
  work_ready_.notify_one();
}

void TaskPool::WaitIdle() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && running_ == 0; });
}

void TaskPool::WorkerLoop(int worker) {
  // On a multi-node machine each worker stays on one node, so the buffers it allocates
  // (first touch) and reads live in that node's memory. A cached thread may have served
  // another worker index before, so it is pinned again.
  const NumaTopology& topology = MachineNumaTopology();
  PinThreadToNode(topology, topology.NodeOfWorker(worker));
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) break;  // stopping, and nothing left to run
    Task task = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    task(worker);
    task = nullptr;  // release what the task captured outside the lock
    lock.lock();
    --running_;
    if (queue_.empty() && running_ == 0) idle_.notify_all();
  }
}

}  // namespace sabot
