#include "mpi_communicator.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "accompanist/util/error.h"
#include "watchdog.h"

namespace acc::dist {
namespace {

using Clock = std::chrono::steady_clock;

void check_mpi(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw acc::Error(what, std::string(text, static_cast<size_t>(length)));
}

MPI_Op to_mpi(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum:
    case ReduceOp::mean:
      return MPI_SUM;
    case ReduceOp::max:
      return MPI_MAX;
    case ReduceOp::min:
      return MPI_MIN;
  }
  return MPI_SUM;
}

int checked_count(size_t count, const char* what) {
  ACC_CHECK(count <= static_cast<size_t>(INT_MAX), what,
            "buffer of " + std::to_string(count) + " elements is too large");
  return static_cast<int>(count);
}

void scale_for_mean(float* data, size_t count, int size) {
  const float n = static_cast<float>(size);
  for (size_t i = 0; i < count; ++i) data[i] /= n;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// An all-reduce queued to the communication thread.
class ThreadWork final : public Work {
 public:
  ThreadWork(float* data, size_t count, ReduceOp op) : data_(data), count_(count), op_(op) {}

  void wait() override {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return complete_; });
    if (error_) std::rethrow_exception(error_);
  }
  bool done() override {
    std::lock_guard<std::mutex> lock(mutex_);
    return complete_;
  }
  double seconds() const override { return seconds_.load(); }

  void run(MPI_Comm comm, int size, Watchdog& watchdog) {
    const auto t0 = Clock::now();
    std::exception_ptr error;
    try {
      Watchdog::Scope scope(watchdog, "MPI_Allreduce (communication thread)");
      check_mpi(MPI_Allreduce(MPI_IN_PLACE, data_, static_cast<int>(count_), MPI_FLOAT, to_mpi(op_), comm),
                "MPI_Allreduce");
      if (op_ == ReduceOp::mean) scale_for_mean(data_, count_, size);
    } catch (...) {
      error = std::current_exception();
    }
    seconds_ = seconds_since(t0);
    complete(error);
  }

  void complete(std::exception_ptr error) {
    std::lock_guard<std::mutex> lock(mutex_);
    complete_ = true;
    error_ = std::move(error);
    cv_.notify_all();
  }

 private:
  float* data_;
  size_t count_;
  ReduceOp op_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool complete_ = false;
  std::exception_ptr error_;
  std::atomic<double> seconds_{0.0};
};

}  // namespace

// State shared by the communicator and its thread (shared, so the thread can
// be detached while an error unwinds with a peer that will never answer).
struct CommThread {
  MPI_Comm comm = MPI_COMM_NULL;
  int size = 1;
  std::shared_ptr<Watchdog> watchdog;
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::shared_ptr<ThreadWork>> queue;
  bool stop = false;
  std::thread thread;

  void run() {
    for (;;) {
      std::shared_ptr<ThreadWork> work;
      {
        std::unique_lock<std::mutex> lock(mutex);
        cv.wait(lock, [&] { return stop || !queue.empty(); });
        if (stop) break;
        work = std::move(queue.front());
        queue.pop_front();
      }
      work->run(comm, size, *watchdog);
    }
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& work : queue) {
      work->complete(std::make_exception_ptr(acc::Error("all-reduce", "communicator destroyed before it ran")));
    }
    queue.clear();
  }
};

// An MPI_Iallreduce, progressed by whoever tests or waits for it.
class NonblockingWork final : public Work {
 public:
  NonblockingWork(float* data, size_t count, ReduceOp op, int size, std::shared_ptr<Watchdog> watchdog)
      : data_(data), count_(count), op_(op), size_(size), watchdog_(std::move(watchdog)) {}

  void start(MPI_Comm comm) {
    start_ = Clock::now();
    check_mpi(MPI_Iallreduce(MPI_IN_PLACE, data_, static_cast<int>(count_), MPI_FLOAT, to_mpi(op_), comm, &request_),
              "MPI_Iallreduce");
  }
  void wait() override {
    if (!complete_) {
      complete_ = true;
      try {
        Watchdog::Scope scope(*watchdog_, "MPI_Iallreduce");
        check_mpi(MPI_Wait(&request_, MPI_STATUS_IGNORE), "MPI_Wait");
        finish();
      } catch (...) {
        error_ = std::current_exception();
      }
    }
    if (error_) std::rethrow_exception(error_);
  }
  bool done() override {
    if (complete_) return true;
    int flag = 0;
    check_mpi(MPI_Test(&request_, &flag, MPI_STATUS_IGNORE), "MPI_Test");
    if (flag) {
      complete_ = true;
      finish();
    }
    return complete_;
  }
  double seconds() const override { return seconds_; }

 private:
  void finish() {
    if (op_ == ReduceOp::mean) scale_for_mean(data_, count_, size_);
    seconds_ = seconds_since(start_);
  }

  float* data_;
  size_t count_;
  ReduceOp op_;
  int size_;
  std::shared_ptr<Watchdog> watchdog_;
  Clock::time_point start_;
  MPI_Request request_ = MPI_REQUEST_NULL;
  bool complete_ = false;
  std::exception_ptr error_;
  double seconds_ = 0.0;
};

MpiCommunicator::MpiCommunicator(std::shared_ptr<MpiEnvironment> env, const std::string& async_mode, double timeout_s)
    : env_(std::move(env)), watchdog_(std::make_shared<Watchdog>(timeout_s)) {
  ACC_CHECK(async_mode == "thread" || async_mode == "nonblocking", "dist.mpi_async",
            "expected thread or nonblocking, got \"" + async_mode + "\"");
  check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);

  MPI_Comm local = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local), "MPI_Comm_split_type");
  MPI_Comm_rank(local, &local_rank_);
  MPI_Comm_size(local, &local_size_);
  MPI_Comm_free(&local);

  // Every rank must choose the same mode.
  const int64_t can_thread = env_->thread_multiple() ? 1 : 0;
  if (async_mode == "thread" && allreduce_host(can_thread, ReduceOp::min) == 1) {
    thread_ = std::make_shared<CommThread>();
    check_mpi(MPI_Comm_dup(comm_, &thread_->comm), "MPI_Comm_dup");
    MPI_Comm_set_errhandler(thread_->comm, MPI_ERRORS_RETURN);
    thread_->size = size_;
    thread_->watchdog = watchdog_;
    thread_->thread = std::thread([state = thread_] { state->run(); });
  }
}

MpiCommunicator::~MpiCommunicator() {
  // While an error unwinds, the peers may never join a collective again: free
  // nothing that might synchronise and do not wait for the thread
  // (guarded_main aborts the job).
  const bool unwinding = std::uncaught_exceptions() > 0 && size_ > 1;
  if (thread_) {
    {
      std::lock_guard<std::mutex> lock(thread_->mutex);
      thread_->stop = true;
    }
    thread_->cv.notify_all();
    if (unwinding) {
      thread_->thread.detach();
    } else {
      thread_->thread.join();
    }
  }
  if (unwinding || !MpiEnvironment::active()) return;
  if (thread_) MPI_Comm_free(&thread_->comm);
  MPI_Comm_free(&comm_);
}

void MpiCommunicator::broadcast(void* data, size_t bytes, int root) {
  // MPI counts are int: chunks of 1 GiB.
  auto* p = static_cast<char*>(data);
  size_t offset = 0;
  do {
    const size_t n = std::min<size_t>(bytes - offset, size_t{1} << 30);
    Watchdog::Scope scope(*watchdog_, "MPI_Bcast");
    check_mpi(MPI_Bcast(p + offset, static_cast<int>(n), MPI_BYTE, root, comm_), "MPI_Bcast");
    offset += n;
  } while (offset < bytes);
}

void MpiCommunicator::allreduce(float* data, size_t count, ReduceOp op) {
  const int n = checked_count(count, "MPI_Allreduce");
  {
    Watchdog::Scope scope(*watchdog_, "MPI_Allreduce");
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, data, n, MPI_FLOAT, to_mpi(op), comm_), "MPI_Allreduce");
  }
  if (op == ReduceOp::mean) scale_for_mean(data, count, size_);
}

WorkHandle MpiCommunicator::allreduce_async(float* data, size_t count, ReduceOp op) {
  checked_count(count, "MPI_Iallreduce");
  if (thread_) {
    auto work = std::make_shared<ThreadWork>(data, count, op);
    {
      std::lock_guard<std::mutex> lock(thread_->mutex);
      thread_->queue.push_back(work);
    }
    thread_->cv.notify_all();
    return work;
  }
  auto work = std::make_shared<NonblockingWork>(data, count, op, size_, watchdog_);
  work->start(comm_);
  outstanding_.push_back(work);
  return work;
}

void MpiCommunicator::poll() {
  if (thread_) return;
  size_t kept = 0;
  for (auto& weak : outstanding_) {
    auto work = weak.lock();
    if (work && !work->done()) outstanding_[kept++] = weak;
  }
  outstanding_.resize(kept);
}

void MpiCommunicator::barrier() {
  Watchdog::Scope scope(*watchdog_, "MPI_Barrier");
  check_mpi(MPI_Barrier(comm_), "MPI_Barrier");
}

int64_t MpiCommunicator::allreduce_host(int64_t value, ReduceOp op) {
  ACC_CHECK(op != ReduceOp::mean, "allreduce_host", "mean of an integer is not defined; use sum");
  int64_t result = value;
  Watchdog::Scope scope(*watchdog_, "MPI_Allreduce");
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, &result, 1, MPI_INT64_T, to_mpi(op), comm_), "MPI_Allreduce");
  return result;
}

double MpiCommunicator::allreduce_host(double value, ReduceOp op) {
  double result = value;
  Watchdog::Scope scope(*watchdog_, "MPI_Allreduce");
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, &result, 1, MPI_DOUBLE, to_mpi(op), comm_), "MPI_Allreduce");
  return op == ReduceOp::mean ? result / size_ : result;
}

void MpiCommunicator::broadcast_host(std::string& bytes, int root) {
  int64_t length = static_cast<int64_t>(bytes.size());
  broadcast(&length, sizeof(length), root);
  bytes.resize(static_cast<size_t>(length));
  broadcast(bytes.data(), bytes.size(), root);
}

std::vector<int64_t> MpiCommunicator::allgather_host(int64_t value) {
  std::vector<int64_t> result(static_cast<size_t>(size_));
  Watchdog::Scope scope(*watchdog_, "MPI_Allgather");
  check_mpi(MPI_Allgather(&value, 1, MPI_INT64_T, result.data(), 1, MPI_INT64_T, comm_), "MPI_Allgather");
  return result;
}

std::vector<std::string> MpiCommunicator::allgather_host(const std::string& value) {
  const std::vector<int64_t> lengths = allgather_host(static_cast<int64_t>(value.size()));
  std::vector<int> counts(lengths.size()), displs(lengths.size());
  int64_t total = 0;
  for (size_t r = 0; r < lengths.size(); ++r) {
    displs[r] = static_cast<int>(total);
    counts[r] = static_cast<int>(lengths[r]);
    total += lengths[r];
  }
  ACC_CHECK(total <= INT_MAX, "allgather_host", "strings too long in total");
  std::string all(static_cast<size_t>(total), '\0');
  {
    Watchdog::Scope scope(*watchdog_, "MPI_Allgatherv");
    check_mpi(MPI_Allgatherv(value.data(), static_cast<int>(value.size()), MPI_CHAR, all.data(), counts.data(),
                             displs.data(), MPI_CHAR, comm_),
              "MPI_Allgatherv");
  }
  std::vector<std::string> result;
  for (size_t r = 0; r < lengths.size(); ++r) result.push_back(all.substr(displs[r], counts[r]));
  return result;
}

}  // namespace acc::dist
