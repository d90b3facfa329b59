// A fixed pool of worker threads with a FIFO task queue, plus parallel_for over
// an index range. Results are written by index, so the outcome of a parallel
// loop never depends on the number of threads or the scheduling order.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace acc::util {

// Number of threads to use for a "threads" setting: 0 means all cores.
int resolve_thread_count(int requested);

class ThreadPool {
 public:
  // threads: 0 = std::thread::hardware_concurrency() (at least 1).
  explicit ThreadPool(int threads = 0);
  ~ThreadPool();  // finishes queued tasks, then joins
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()); }

  // Queues f; the future carries its result or its exception.
  template <class F>
  auto submit(F&& f) -> std::future<std::invoke_result_t<F>> {
    using R = std::invoke_result_t<F>;
    auto task = std::make_shared<std::packaged_task<R()>>(std::forward<F>(f));
    std::future<R> result = task->get_future();
    enqueue([task] { (*task)(); });
    return result;
  }

  // Calls body(i) for every i in [0, n), spread over the workers (indices are
  // handed out one at a time, so uneven work balances). Blocks until all are
  // done; the first exception thrown by a body is rethrown here after the
  // others have stopped picking up new indices. Must not be called from inside
  // a task of the same pool.
  void parallel_for(size_t n, const std::function<void(size_t)>& body);

 private:
  void enqueue(std::function<void()> job);
  void worker_loop();

  std::vector<std::thread> workers_;
  std::deque<std::function<void()>> queue_;
  std::mutex mutex_;
  std::condition_variable ready_;
  bool stopping_ = false;
};

}  // namespace acc::util
