// The NCCL backend: GPU buffers, collectives on a stream of their own that is
// ordered after the compute stream with CUDA events (so the all-reduce of one
// bucket overlaps the rest of the backward pass). Rank, size and every host
// collective come from MPI, which also carries NCCL's unique id.
// Compiled only in CUDA builds with NCCL (ACC_WITH_NCCL).
#include <memory>

#include "accompanist/dist/communicator_factory.h"

#ifdef ACC_WITH_NCCL
#include <cuda_runtime_api.h>
#include <nccl.h>

#include "accompanist/dist/device.h"
#include "mpi_communicator.h"

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

class NcclCommunicator;

class NcclWork final : public Work {
 public:
  NcclWork(const cudaStream_t* compute, cudaEvent_t done) : compute_(compute), done_(done) {}
  ~NcclWork() override { cudaEventDestroy(done_); }
  // Host-non-blocking, as in PyTorch DDP: later work on the compute stream
  // waits for the all-reduce.
  void wait() override { check_cuda(cudaStreamWaitEvent(*compute_, done_, 0), "cudaStreamWaitEvent"); }
  bool done() override {
    const cudaError_t rc = cudaEventQuery(done_);
    if (rc == cudaErrorNotReady) return false;
    check_cuda(rc, "cudaEventQuery");
    return true;
  }

 private:
  const cudaStream_t* compute_;  // the communicator's, read at wait() time
  cudaEvent_t done_;
};

class NcclCommunicator final : public Communicator {
 public:
  explicit NcclCommunicator(std::unique_ptr<MpiCommunicator> host) : host_(std::move(host)) {
    const int devices = cuda_device_count();
    ACC_CHECK(devices > 0, "nccl", "no CUDA device is visible");
    device_ = host_->local_rank() % devices;
    select_cuda_device(device_);
    ncclUniqueId id;
    if (host_->rank() == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    host_->broadcast(&id, sizeof(id), 0);
    check_nccl(ncclCommInitRank(&comm_, host_->size(), id, host_->rank()), "ncclCommInitRank");
    check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  }

  ~NcclCommunicator() override {
    // Unwinding an error: peers may never join, so do not wait for them.
    if (std::uncaught_exceptions() > 0) {
      ncclCommAbort(comm_);
    } else {
      cudaStreamSynchronize(stream_);
      ncclCommDestroy(comm_);
    }
    cudaStreamDestroy(stream_);
  }

  int rank() const override { return host_->rank(); }
  int size() const override { return host_->size(); }
  int local_rank() const override { return host_->local_rank(); }
  int local_size() const override { return host_->local_size(); }
  std::string backend_name() const override { return "nccl"; }
  MemorySpace memory_space() const override { return MemorySpace::cuda; }

  void broadcast(void* data, size_t bytes, int root) override {
    follow_compute();
    check_nccl(ncclBroadcast(data, data, bytes, ncclUint8, root, comm_, stream_), "ncclBroadcast");
    check_cuda(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
  }

  void allreduce(float* data, size_t count, ReduceOp op) override { allreduce_async(data, count, op)->wait(); }

  WorkHandle allreduce_async(float* data, size_t count, ReduceOp op) override {
    follow_compute();
    check_nccl(ncclAllReduce(data, data, count, ncclFloat32, to_nccl(op), comm_, stream_), "ncclAllReduce");
    cudaEvent_t done;
    check_cuda(cudaEventCreateWithFlags(&done, cudaEventDisableTiming), "cudaEventCreateWithFlags");
    check_cuda(cudaEventRecord(done, stream_), "cudaEventRecord");
    return std::make_shared<NcclWork>(&compute_, done);
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
  // Orders the NCCL stream after everything queued so far on the compute stream.
  void follow_compute() {
    cudaEvent_t ready;
    check_cuda(cudaEventCreateWithFlags(&ready, cudaEventDisableTiming), "cudaEventCreateWithFlags");
    check_cuda(cudaEventRecord(ready, compute_), "cudaEventRecord");
    check_cuda(cudaStreamWaitEvent(stream_, ready, 0), "cudaStreamWaitEvent");
    cudaEventDestroy(ready);  // released once the wait is resolved
  }

  std::unique_ptr<MpiCommunicator> host_;
  int device_ = 0;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  cudaStream_t compute_ = nullptr;  // the legacy default stream unless set
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(const DistConfig& cfg) {
  // The host side needs no communication thread: NCCL does the heavy lifting.
  return std::make_unique<NcclCommunicator>(
      std::make_unique<MpiCommunicator>(MpiEnvironment::acquire(), "nonblocking", cfg.timeout_s));
}

#else

std::unique_ptr<Communicator> make_nccl_communicator(const DistConfig&) {
  throw acc::Error("dist.backend", "nccl: this build has no NCCL (configure with CUDA and NCCL)");
}

#endif

}  // namespace acc::dist
