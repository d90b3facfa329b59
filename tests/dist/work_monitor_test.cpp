// WorkMonitor: the deadline and asynchronous-error polling the NCCL backend
// relies on (a dead peer must end the job, not hang it), with fake operations.
#include "dist/work_monitor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace acc::dist {
namespace {

using namespace std::chrono_literals;

struct Recorder {
  std::mutex mutex;
  std::vector<std::string> failures;
  void operator()(const std::string& m) {
    std::lock_guard<std::mutex> lock(mutex);
    failures.push_back(m);
  }
  std::vector<std::string> get() {
    std::lock_guard<std::mutex> lock(mutex);
    return failures;
  }
};

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 5000ms) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

TEST(WorkMonitor, DropsCompletedOperations) {
  Recorder failures;
  std::atomic<bool> started{false};
  WorkMonitor monitor(5.0, {nullptr, [&](const std::string& m) { failures(m); }, [&] { started = true; }}, 10ms);
  std::atomic<bool> done{false};
  monitor.watch("ncclAllReduce", [&] { return done.load(); });
  monitor.watch("ncclAllReduce", [] { return true; });
  EXPECT_TRUE(eventually([&] { return monitor.watched() == 1; }));
  done = true;
  EXPECT_TRUE(eventually([&] { return monitor.watched() == 0; }));
  EXPECT_TRUE(started.load());
  EXPECT_FALSE(monitor.failed());
  EXPECT_TRUE(failures.get().empty());
}

TEST(WorkMonitor, AnOperationPastTheDeadlineFailsOnce) {
  Recorder failures;
  WorkMonitor monitor(0.2, {nullptr, [&](const std::string& m) { failures(m); }, nullptr}, 10ms);
  monitor.watch("ncclAllReduce", [] { return true; });
  monitor.watch("ncclCommInitRank", [] { return false; });  // a peer that never arrives
  ASSERT_TRUE(eventually([&] { return monitor.failed(); }));
  std::this_thread::sleep_for(100ms);
  const auto got = failures.get();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0],
            "ncclCommInitRank: no completion after 0.2 s (dist.timeout_s): a rank has died or the ranks diverged");
  monitor.watch("ncclAllReduce", [] { return false; });  // ignored once failed
  EXPECT_EQ(monitor.watched(), 0u);
}

TEST(WorkMonitor, AnAsynchronousErrorFailsWithoutADeadline) {
  Recorder failures;
  std::atomic<bool> broken{false};
  WorkMonitor monitor(
      0.0,
      {[&] { return broken ? std::string("NCCL: remote process exited or there was a network error") : std::string(); },
       [&](const std::string& m) { failures(m); }, nullptr},
      10ms);
  monitor.watch("ncclAllReduce", [] { return false; });  // no deadline: timeout 0
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(monitor.failed());
  EXPECT_EQ(monitor.watched(), 1u);
  broken = true;
  ASSERT_TRUE(eventually([&] { return monitor.failed(); }));
  EXPECT_EQ(failures.get(), std::vector<std::string>{"NCCL: remote process exited or there was a network error"});
}

}  // namespace
}  // namespace acc::dist
