#include "accompanist/dist/communicator.h"

namespace acc::dist {

const char* to_string(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum:
      return "sum";
    case ReduceOp::mean:
      return "mean";
    case ReduceOp::max:
      return "max";
    case ReduceOp::min:
      return "min";
  }
  return "?";
}

void check_same_on_all_ranks(Communicator& comm, const std::string& what, const std::string& value) {
  // Every rank sees every value and decides alone: all throw together, none waits.
  const std::vector<std::string> values = comm.allgather_host(value);
  bool same = true;
  for (const auto& v : values) same = same && v == values.front();
  if (same) return;
  std::string detail;
  for (size_t r = 0; r < values.size(); ++r) {
    detail += (r == 0 ? "rank " : ", rank ") + std::to_string(r) + " has " + values[r];
  }
  throw CollectiveError(what + " differs across ranks", detail);
}

}  // namespace acc::dist
