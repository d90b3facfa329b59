#include "watchdog.h"

#include <mpi.h>

#include <cstdio>

namespace acc::dist {

Watchdog::Watchdog(double timeout_s) : timeout_s_(timeout_s) {
  if (timeout_s_ > 0) thread_ = std::thread([this] { run(); });
}

Watchdog::~Watchdog() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

Watchdog::Scope::Scope(Watchdog& dog, const char* what) : dog_(dog) {
  if (dog_.timeout_s_ <= 0) return;
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(dog_.timeout_s_));
  std::lock_guard<std::mutex> lock(dog_.mutex_);
  id_ = dog_.next_id_++;
  dog_.active_[id_] = {what, deadline};
  // Deadlines only grow, so the watchdog's current wake-up time stays right
  // unless this is the only entry.
  if (dog_.active_.size() == 1) dog_.cv_.notify_all();
}

Watchdog::Scope::~Scope() {
  if (id_ == 0) return;
  std::lock_guard<std::mutex> lock(dog_.mutex_);
  dog_.active_.erase(id_);
}

void Watchdog::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    if (active_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const Entry oldest = active_.begin()->second;  // ids grow with deadlines
    if (Clock::now() < oldest.deadline) {
      cv_.wait_until(lock, oldest.deadline);
      continue;
    }
    std::fprintf(stderr,
                 "error: %s: no completion after %.0f s (dist.timeout_s): a rank has died or the ranks diverged\n",
                 oldest.what, timeout_s_);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
}

}  // namespace acc::dist
