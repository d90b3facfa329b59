// Aborts the MPI job when a collective does not complete in time (private to src/dist).
//
// Blocking MPI calls cannot time out; a rank that died or took another path
// would leave the others waiting forever. Each collective runs inside a
// Watchdog::Scope; a background thread ends the job with "error: <what>: no
// completion after N s" and MPI_Abort when a scope outlives the timeout.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

namespace acc::dist {

class Watchdog {
 public:
  explicit Watchdog(double timeout_s);  // 0: never fires, no thread
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  class Scope {
   public:
    Scope(Watchdog& dog, const char* what);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Watchdog& dog_;
    uint64_t id_ = 0;
  };

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    const char* what;
    Clock::time_point deadline;
  };
  void run();

  double timeout_s_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<uint64_t, Entry> active_;
  uint64_t next_id_ = 1;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace acc::dist
