#include "work_monitor.h"

#include <cstdio>

namespace acc::dist {

std::string no_completion_message(const std::string& what, double timeout_s) {
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%g", timeout_s);
  return what + ": no completion after " + seconds + " s (dist.timeout_s): a rank has died or the ranks diverged";
}

WorkMonitor::WorkMonitor(double timeout_s, Hooks hooks, std::chrono::milliseconds period)
    : timeout_s_(timeout_s), hooks_(std::move(hooks)), period_(period) {
  thread_ = std::thread([this] { run(); });
}

WorkMonitor::~WorkMonitor() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void WorkMonitor::watch(const char* what, std::function<bool()> done) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (failed_) return;
  entries_.push_back({what, Clock::now(), std::move(done)});
}

size_t WorkMonitor::watched() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

bool WorkMonitor::failed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failed_;
}

// Completed entries are dropped; the first overdue one, else an asynchronous
// error, is the failure.
std::string WorkMonitor::check(std::vector<Entry>& entries) {
  const auto now = Clock::now();
  std::string failure;
  std::vector<Entry> still;
  for (auto& e : entries) {
    if (e.done()) continue;
    const double age = std::chrono::duration<double>(now - e.start).count();
    if (failure.empty() && timeout_s_ > 0 && age > timeout_s_) failure = no_completion_message(e.what, timeout_s_);
    still.push_back(std::move(e));
  }
  entries.swap(still);
  if (failure.empty() && hooks_.async_error) failure = hooks_.async_error();
  return failure;
}

void WorkMonitor::run() {
  if (hooks_.thread_start) hooks_.thread_start();
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    cv_.wait_for(lock, period_, [this] { return stop_; });
    if (stop_) break;
    // Poll without the lock: done() and async_error() may call into the
    // driver, and watch() must stay cheap for the caller.
    std::vector<Entry> entries;
    entries.swap(entries_);
    lock.unlock();
    const std::string failure = check(entries);
    lock.lock();
    entries.insert(entries.end(), std::make_move_iterator(entries_.begin()), std::make_move_iterator(entries_.end()));
    entries_.swap(entries);
    if (!failure.empty()) {
      failed_ = true;
      entries_.clear();
      lock.unlock();
      hooks_.on_failure(failure);  // the NCCL backend's never returns (MPI_Abort)
      return;
    }
  }
}

}  // namespace acc::dist
