// The backend for one process: every collective is the identity, and MPI is
// never initialised (the binary runs without mpirun and without an MPI daemon).
#include <memory>

#include "accompanist/dist/communicator_factory.h"

namespace acc::dist {
namespace {

class DoneWork final : public Work {
 public:
  void wait() override {}
  bool done() override { return true; }
};

class SingleProcessCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  int local_size() const override { return 1; }
  std::string backend_name() const override { return "none"; }
  MemorySpace memory_space() const override { return MemorySpace::host; }
  bool accepts(MemorySpace) const override { return true; }  // one GPU or the CPU

  void broadcast(void*, size_t, int root) override { check_root(root); }
  void allreduce(float*, size_t, ReduceOp) override {}  // sum and mean of one rank
  WorkHandle allreduce_async(float*, size_t, ReduceOp) override { return std::make_shared<DoneWork>(); }
  void barrier() override {}
  int64_t allreduce_host(int64_t value, ReduceOp op) override {
    ACC_CHECK(op != ReduceOp::mean, "allreduce_host", "mean of an integer is not defined; use sum");
    return value;
  }
  double allreduce_host(double value, ReduceOp) override { return value; }
  void broadcast_host(std::string&, int root) override { check_root(root); }
  std::vector<int64_t> allgather_host(int64_t value) override { return {value}; }
  std::vector<std::string> allgather_host(const std::string& value) override { return {value}; }

 private:
  static void check_root(int root) {
    ACC_CHECK(root == 0, "broadcast", "root " + std::to_string(root) + " does not exist in a world of 1");
  }
};

}  // namespace

std::unique_ptr<Communicator> make_single_process_communicator() {
  return std::make_unique<SingleProcessCommunicator>();
}

}  // namespace acc::dist
