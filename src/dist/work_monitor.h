// Watches collectives the host does not block on (private to src/dist).
//
// NCCL collectives are asynchronous: a dead peer leaves its kernels spinning
// and every later host sync (an .item(), a checkpoint) waits forever, where
// the MPI watchdog cannot see it. A background thread polls each watched
// operation's completion and the backend's asynchronous error; an operation
// still incomplete after timeout_s, or an asynchronous error, calls
// on_failure(message) once and stops watching. In the NCCL backend on_failure
// prints "error: <message>", aborts the NCCL communicator and calls MPI_Abort.
// No CUDA or NCCL here, so the logic is tested on the CPU.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace acc::dist {

class WorkMonitor {
 public:
  struct Hooks {
    std::function<std::string()> async_error;            // "" while healthy; optional
    std::function<void(const std::string&)> on_failure;  // required
    std::function<void()> thread_start;                  // on the monitor thread first (cudaSetDevice); optional
  };
  // timeout_s == 0: no deadline (asynchronous errors are still polled).
  WorkMonitor(double timeout_s, Hooks hooks, std::chrono::milliseconds period = std::chrono::milliseconds(100));
  ~WorkMonitor();  // stops and joins the thread; operations still watched are dropped
  WorkMonitor(const WorkMonitor&) = delete;
  WorkMonitor& operator=(const WorkMonitor&) = delete;

  // done() is called from the monitor thread until it returns true (it must
  // not block); what names the operation in the failure message.
  void watch(const char* what, std::function<bool()> done);
  size_t watched() const;
  bool failed() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    const char* what;
    Clock::time_point start;
    std::function<bool()> done;
  };
  void run();
  std::string check(std::vector<Entry>& entries);  // failure message or ""

  double timeout_s_;
  Hooks hooks_;
  std::chrono::milliseconds period_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Entry> entries_;
  bool stop_ = false;
  bool failed_ = false;
  std::thread thread_;
};

// The message of an operation that did not complete in time (shared with the MPI watchdog's wording).
std::string no_completion_message(const std::string& what, double timeout_s);

}  // namespace acc::dist
