// acc::dist::Communicator: the collectives the data-parallel trainer needs.
//
// Three backends implement it: MPI (CPU buffers), NCCL (CUDA buffers, only in
// CUDA builds) and a single process that needs no MPI at run time. Buffers
// passed to broadcast()/allreduce() live where memory_space() says (host or the
// rank's CUDA device); the *_host() calls always take host values and are meant
// for small things (stop flags, NaN counts, validation losses, config hashes).
//
// Collectives must be called in the same order on every rank. A failed or
// timed-out collective throws acc::Error; see guarded_main() for turning that
// into MPI_Abort so the other ranks do not hang.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "accompanist/util/error.h"

namespace acc::dist {

enum class ReduceOp { sum, mean, max, min };
enum class MemorySpace { host, cuda };

const char* to_string(ReduceOp op);

// Thrown when every rank detected the same failure together (e.g. a replica
// consistency check): all ranks can exit normally with an error, no abort needed.
class CollectiveError : public acc::Error {
 public:
  using acc::Error::Error;
};

// The handle of a non-blocking collective.
class Work {
 public:
  virtual ~Work() = default;
  // Blocks until the operation is complete (CUDA: until work queued afterwards
  // on the compute stream will see the result); rethrows its error. Idempotent.
  virtual void wait() = 0;
  // True when complete; never blocks.
  virtual bool done() = 0;
  // Seconds the operation was in flight (launch to completion as seen by the
  // backend); 0 until complete, and where the backend cannot tell.
  virtual double seconds() const { return 0.0; }
};

using WorkHandle = std::shared_ptr<Work>;

class Communicator {
 public:
  virtual ~Communicator() = default;
  Communicator() = default;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Rank and size among the processes on this node (picks the GPU).
  virtual int local_rank() const = 0;
  virtual int local_size() const = 0;
  virtual std::string backend_name() const = 0;  // "mpi", "nccl", "none"
  virtual MemorySpace memory_space() const = 0;
  // Whether broadcast()/allreduce() take buffers in space. Only memory_space()
  // for a real backend; the single process touches no buffer, so any.
  virtual bool accepts(MemorySpace space) const { return space == memory_space(); }

  // Buffers in memory_space().
  virtual void broadcast(void* data, size_t bytes, int root) = 0;
  // In place; op is sum or mean (mean = sum / size()).
  virtual void allreduce(float* data, size_t count, ReduceOp op) = 0;
  // Non-blocking: data must stay untouched until the handle's wait() returns.
  virtual WorkHandle allreduce_async(float* data, size_t count, ReduceOp op) = 0;
  // Lets outstanding non-blocking work progress (MPI progresses only inside MPI
  // calls unless a communication thread drives it). Cheap; the gradient
  // bucketer calls it from every gradient hook.
  virtual void poll() {}

  virtual void barrier() = 0;

  // Host values, any backend. op: sum, max or min (mean too for double).
  virtual int64_t allreduce_host(int64_t value, ReduceOp op) = 0;
  virtual double allreduce_host(double value, ReduceOp op) = 0;
  virtual void broadcast_host(std::string& bytes, int root) = 0;
  // Element r of the result is rank r's value.
  virtual std::vector<int64_t> allgather_host(int64_t value) = 0;
  virtual std::vector<std::string> allgather_host(const std::string& value) = 0;

  // CUDA builds: the stream the data of later calls is produced and consumed
  // on (a cudaStream_t; nullptr = the legacy default stream). No-op elsewhere.
  virtual void set_compute_stream(void* stream) {}
};

// Every rank passes its value; when they differ, every rank throws the same
// CollectiveError naming the values per rank ("<what> differs across ranks: ...").
void check_same_on_all_ranks(Communicator& comm, const std::string& what, const std::string& value);

}  // namespace acc::dist
