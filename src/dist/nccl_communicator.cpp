// The NCCL backend: GPU buffers, collectives on a stream of their own that is
// ordered after the compute stream with CUDA events (so the all-reduce of one
// bucket overlaps the rest of the backward pass). Rank, size and every host
// collective come from MPI, which also carries NCCL's unique id.
//
// Hangs and failures: the host never blocks on a collective here, so the MPI
// watchdog cannot see a dead peer. A WorkMonitor polls every all-reduce's
// completion event and ncclCommGetAsyncError; an all-reduce still running
// after dist.timeout_s, or an asynchronous NCCL error, prints one error line,
// aborts the NCCL communicator (which frees the spinning kernels) and ends the
// job with MPI_Abort. Blocking waits (broadcast, shutdown) poll the same way.
// Compiled only in CUDA builds with NCCL (ACC_WITH_NCCL).
#include <memory>

#include "accompanist/dist/communicator_factory.h"

#ifdef ACC_WITH_NCCL
#include <cuda_runtime_api.h>
#include <mpi.h>
#include <nccl.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "accompanist/dist/device.h"
#include "mpi_communicator.h"
#include "work_monitor.h"

#if NCCL_VERSION_CODE < NCCL_VERSION(2, 10, 0)
#error "the NCCL backend needs NCCL >= 2.10 (ncclAvg)"
#endif
#endif

namespace acc::dist {

#ifdef ACC_WITH_NCCL
namespace {

void check_cuda(cudaError_t rc, const char* what) {
  if (rc != cudaSuccess) throw acc::Error(what, cudaGetErrorString(rc));
}

void check_nccl(ncclResult_t rc, const char* what) {
  if (rc != ncclSuccess) throw acc::Error(what, ncclGetErrorString(rc));
}

ncclRedOp_t to_nccl(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum:
      return ncclSum;
    case ReduceOp::mean:
      return ncclAvg;
    case ReduceOp::max:
      return ncclMax;
    case ReduceOp::min:
      return ncclMin;
  }
  return ncclSum;
}

// CUDA events are reused rather than created per collective; every event
// handed out goes back through PooledEvent's destructor, on error paths too.
class EventPool {
 public:
  explicit EventPool(int device) : device_(device) {}
  ~EventPool() {
    for (cudaEvent_t e : free_) cudaEventDestroy(e);
  }
  EventPool(const EventPool&) = delete;
  EventPool& operator=(const EventPool&) = delete;

  cudaEvent_t acquire() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        cudaEvent_t e = free_.back();
        free_.pop_back();
        return e;
      }
    }
    cudaEvent_t e = nullptr;
    check_cuda(cudaEventCreate(&e), "cudaEventCreate");  // with timing: NcclWork::seconds()
    return e;
  }
  void release(cudaEvent_t e) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(e);
  }
  int device() const { return device_; }

 private:
  int device_;
  std::mutex mutex_;
  std::vector<cudaEvent_t> free_;
};

class PooledEvent {
 public:
  explicit PooledEvent(std::shared_ptr<EventPool> pool) : pool_(std::move(pool)), event_(pool_->acquire()) {}
  ~PooledEvent() {
    if (event_) pool_->release(event_);
  }
  PooledEvent(const PooledEvent&) = delete;
  PooledEvent& operator=(const PooledEvent&) = delete;
  cudaEvent_t get() const { return event_; }

 private:
  std::shared_ptr<EventPool> pool_;
  cudaEvent_t event_ = nullptr;
};

// One all-reduce: events recorded on the NCCL stream before and after it.
// Shared by the handle and the monitor, so neither outlives the events.
struct NcclOp {
  explicit NcclOp(const std::shared_ptr<EventPool>& pool) : start(pool), end(pool) {}
  PooledEvent start, end;
  std::atomic<bool> complete{false};
  bool query() {
    if (complete.load()) return true;
    const cudaError_t rc = cudaEventQuery(end.get());
    if (rc == cudaErrorNotReady) return false;
    check_cuda(rc, "cudaEventQuery");
    complete.store(true);
    return true;
  }
};

class NcclWork final : public Work {
 public:
  NcclWork(std::shared_ptr<NcclOp> op, const cudaStream_t* compute) : op_(std::move(op)), compute_(compute) {}
  // Host-non-blocking, as in PyTorch DDP: later work on the compute stream
  // waits for the all-reduce.
  void wait() override {
    if (!waited_) check_cuda(cudaStreamWaitEvent(*compute_, op_->end.get(), 0), "cudaStreamWaitEvent");
    waited_ = true;
  }
  bool done() override { return op_->query(); }
  // GPU time from the all-reduce's start on the NCCL stream (after the compute
  // it follows) to its end; 0 while it is still running.
  double seconds() const override {
    if (!op_->query()) return 0.0;
    float ms = 0;
    if (cudaEventElapsedTime(&ms, op_->start.get(), op_->end.get()) != cudaSuccess) return 0.0;
    return double(ms) / 1e3;
  }

 private:
  std::shared_ptr<NcclOp> op_;
  const cudaStream_t* compute_;  // the communicator's, read at wait() time
  bool waited_ = false;
};

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(std::unique_ptr<MpiCommunicator> host, double timeout_s)
      : host_(std::move(host)), timeout_s_(timeout_s) {
    const int devices = cuda_device_count();
    const DeviceChoice choice = choose_device("nccl", devices, host_->local_rank());
    device_ = choice.index;
    select_cuda_device(device_);
    // NCCL refuses two ranks on one GPU deep inside ncclCommInitRank ("invalid
    // usage"); say which ranks and what to do instead, on every rank.
    const std::vector<std::string> gpus = host_->allgather_host(cuda_device_identity(device_));
    if (auto shared = find_shared_device(gpus)) {
      throw CollectiveError("dist.backend nccl",
                            "ranks " + std::to_string(shared->first) + " and " + std::to_string(shared->second) +
                                " would share GPU " + gpus[size_t(shared->first)] + " (" + std::to_string(devices) +
                                " visible to rank " + std::to_string(shared->first) +
                                "): NCCL needs one GPU per rank; start at most one rank per GPU on each node, "
                                "or use dist.backend mpi");
    }
    pool_ = std::make_shared<EventPool>(device_);
    check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
    try {
      check_cuda(cudaEventCreateWithFlags(&ready_, cudaEventDisableTiming), "cudaEventCreateWithFlags");
      monitor_ = std::make_unique<WorkMonitor>(
          timeout_s_,
          WorkMonitor::Hooks{[this] { return async_error(); }, [this](const std::string& message) { fail(message); },
                             [this] { cudaSetDevice(device_); }});
      ncclUniqueId id;
      if (host_->rank() == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
      host_->broadcast(&id, sizeof(id), 0);
      // A peer that never arrives leaves ncclCommInitRank waiting: watched too.
      auto initialised = std::make_shared<std::atomic<bool>>(false);
      monitor_->watch("ncclCommInitRank", [initialised] { return initialised->load(); });
      ncclComm_t comm = nullptr;
      const ncclResult_t rc = ncclCommInitRank(&comm, host_->size(), id, host_->rank());
      initialised->store(true);
      check_nccl(rc, "ncclCommInitRank");
      comm_.store(comm);
    } catch (...) {
      // The destructor does not run for a constructor that throws.
      monitor_.reset();
      if (ready_) cudaEventDestroy(ready_);
      cudaStreamDestroy(stream_);
      throw;
    }
  }

  ~NcclCommunicator() override {
    // Unwinding an error: peers may never join, so do not wait for them.
    ncclComm_t comm = comm_.load();
    bool healthy = std::uncaught_exceptions() == 0 && comm != nullptr;
    if (healthy) {
      try {
        wait_stream("communicator shutdown");
      } catch (...) {
        healthy = false;
      }
    }
    monitor_.reset();  // no more polling of comm_
    if (comm != nullptr) healthy ? ncclCommDestroy(comm) : ncclCommAbort(comm);
    if (ready_) cudaEventDestroy(ready_);
    if (stream_) cudaStreamDestroy(stream_);
  }

  int rank() const override { return host_->rank(); }
  int size() const override { return host_->size(); }
  int local_rank() const override { return host_->local_rank(); }
  int local_size() const override { return host_->local_size(); }
  std::string backend_name() const override { return "nccl"; }
  MemorySpace memory_space() const override { return MemorySpace::cuda; }

  void broadcast(void* data, size_t bytes, int root) override {
    follow_compute();
    check_nccl(ncclBroadcast(data, data, bytes, ncclUint8, root, comm_.load(), stream_), "ncclBroadcast");
    wait_stream("ncclBroadcast");
  }

  void allreduce(float* data, size_t count, ReduceOp op) override { allreduce_async(data, count, op)->wait(); }

  WorkHandle allreduce_async(float* data, size_t count, ReduceOp op) override {
    follow_compute();
    auto state = std::make_shared<NcclOp>(pool_);
    check_cuda(cudaEventRecord(state->start.get(), stream_), "cudaEventRecord");
    check_nccl(ncclAllReduce(data, data, count, ncclFloat32, to_nccl(op), comm_.load(), stream_), "ncclAllReduce");
    check_cuda(cudaEventRecord(state->end.get(), stream_), "cudaEventRecord");
    monitor_->watch("ncclAllReduce", [state] {
      try {
        return state->query();
      } catch (const acc::Error&) {
        return false;  // a CUDA error: the deadline or ncclCommGetAsyncError reports it
      }
    });
    return std::make_shared<NcclWork>(std::move(state), &compute_);
  }

  // Host collectives (and the barrier, which does not wait for GPU work) go over MPI.
  void barrier() override { host_->barrier(); }
  int64_t allreduce_host(int64_t value, ReduceOp op) override { return host_->allreduce_host(value, op); }
  double allreduce_host(double value, ReduceOp op) override { return host_->allreduce_host(value, op); }
  void broadcast_host(std::string& bytes, int root) override { host_->broadcast_host(bytes, root); }
  std::vector<int64_t> allgather_host(int64_t value) override { return host_->allgather_host(value); }
  std::vector<std::string> allgather_host(const std::string& value) override { return host_->allgather_host(value); }

  void set_compute_stream(void* stream) override { compute_ = static_cast<cudaStream_t>(stream); }

 private:
  // Orders the NCCL stream after everything queued so far on the compute
  // stream. One event, re-recorded each time: a wait takes the event's state
  // at the time it is enqueued.
  void follow_compute() {
    check_cuda(cudaEventRecord(ready_, compute_), "cudaEventRecord");
    check_cuda(cudaStreamWaitEvent(stream_, ready_, 0), "cudaStreamWaitEvent");
  }

  // "" while healthy, else the failure (polled by the monitor).
  std::string async_error() {
    ncclComm_t comm = comm_.load();
    if (comm == nullptr) return "";
    ncclResult_t result = ncclSuccess;
    if (ncclCommGetAsyncError(comm, &result) != ncclSuccess) return "";
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 14, 0)
    if (result == ncclInProgress) return "";
#endif
    if (result == ncclSuccess) return "";
    return std::string("NCCL: ") + ncclGetErrorString(result) +
           " (ncclCommGetAsyncError): a peer failed or the network broke";
  }

  // From the monitor thread: the job cannot go on. Aborting the communicator
  // ends the kernels that wait for a dead peer; MPI_Abort ends every rank.
  void fail(const std::string& message) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    std::fflush(stderr);
    ncclComm_t comm = comm_.exchange(nullptr);
    if (comm != nullptr) ncclCommAbort(comm);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }

  // Blocks until the NCCL stream is idle, polling (not cudaStreamSynchronize,
  // which cannot time out) with the same deadline and error check as the monitor.
  void wait_stream(const char* what) {
    PooledEvent done(pool_);
    check_cuda(cudaEventRecord(done.get(), stream_), "cudaEventRecord");
    const auto start = std::chrono::steady_clock::now();
    for (int spins = 0;; ++spins) {
      const cudaError_t rc = cudaEventQuery(done.get());
      if (rc == cudaSuccess) return;
      if (rc != cudaErrorNotReady) check_cuda(rc, what);
      const std::string error = async_error();
      if (!error.empty()) throw acc::Error(what, error);
      const double age = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (timeout_s_ > 0 && age > timeout_s_) throw acc::Error(no_completion_message(what, timeout_s_));
      if (spins > 1000) std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

  std::unique_ptr<MpiCommunicator> host_;
  double timeout_s_;
  int device_ = 0;
  std::shared_ptr<EventPool> pool_;
  std::atomic<ncclComm_t> comm_{nullptr};
  cudaStream_t stream_ = nullptr;
  cudaEvent_t ready_ = nullptr;
  cudaStream_t compute_ = nullptr;  // the legacy default stream unless set
  std::unique_ptr<WorkMonitor> monitor_;
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(const DistConfig& cfg) {
  // The host side needs no communication thread: NCCL does the heavy lifting.
  return std::make_unique<NcclCommunicator>(
      std::make_unique<MpiCommunicator>(MpiEnvironment::acquire(), "nonblocking", cfg.timeout_s), cfg.timeout_s);
}

#else

std::unique_ptr<Communicator> make_nccl_communicator(const DistConfig&) {
  throw acc::Error("dist.backend", "nccl: this build has no NCCL (configure with CUDA and NCCL)");
}

#endif

}  // namespace acc::dist
