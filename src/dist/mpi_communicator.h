// The MPI backend (private to src/dist).
//
// Blocking collectives call MPI's blocking functions (OpenMPI's tuned
// algorithms) under a Watchdog. Non-blocking all-reduces run one of two ways:
//   thread       a communication thread takes them from a queue and runs
//                blocking MPI_Allreduce on its own communicator, so they
//                progress while the caller computes (needs MPI_THREAD_MULTIPLE);
//   nonblocking  MPI_Iallreduce, progressed only inside MPI calls (poll(),
//                done(), wait()) from the caller's thread.
#pragma once

#include <mpi.h>

#include <memory>
#include <string>
#include <vector>

#include "accompanist/dist/communicator.h"
#include "accompanist/dist/mpi_environment.h"

namespace acc::dist {

class Watchdog;
class NonblockingWork;
struct CommThread;

class MpiCommunicator final : public Communicator {
 public:
  // async_mode: "thread" or "nonblocking" (DistConfig::mpi_async); "thread"
  // falls back to "nonblocking" when MPI lacks MPI_THREAD_MULTIPLE.
  MpiCommunicator(std::shared_ptr<MpiEnvironment> env, const std::string& async_mode, double timeout_s);
  ~MpiCommunicator() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  std::string backend_name() const override { return "mpi"; }
  MemorySpace memory_space() const override { return MemorySpace::host; }
  bool uses_thread() const { return thread_ != nullptr; }

  void broadcast(void* data, size_t bytes, int root) override;
  void allreduce(float* data, size_t count, ReduceOp op) override;
  WorkHandle allreduce_async(float* data, size_t count, ReduceOp op) override;
  void poll() override;
  void barrier() override;
  int64_t allreduce_host(int64_t value, ReduceOp op) override;
  double allreduce_host(double value, ReduceOp op) override;
  void broadcast_host(std::string& bytes, int root) override;
  std::vector<int64_t> allgather_host(int64_t value) override;
  std::vector<std::string> allgather_host(const std::string& value) override;

 private:
  friend class NonblockingWork;

  std::shared_ptr<MpiEnvironment> env_;
  std::shared_ptr<Watchdog> watchdog_;
  MPI_Comm comm_ = MPI_COMM_NULL;  // the caller's collectives
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
  std::shared_ptr<CommThread> thread_;                       // thread mode
  std::vector<std::weak_ptr<NonblockingWork>> outstanding_;  // nonblocking mode
};

}  // namespace acc::dist
