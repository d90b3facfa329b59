// Failing MPI jobs end with a clear error and a non-zero exit, and never hang.
// Each test launches `mpirun -n 2 job_probe MODE` (under `timeout`).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace {

struct Result {
  int exit_code = -1;
  std::string output;
};

Result run_job(const std::string& mode) {
  const std::string cmd = std::string("timeout 90 ") + ACC_MPIEXEC + " --allow-run-as-root --oversubscribe -n 2 " +
                          ACC_BINARY_DIR + "/tests/dist_job_probe " + mode + " 2>&1";
  Result r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t c = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++c;
  return c;
}

TEST(MpiFailure, HealthyJobExitsZero) {
  const Result r = run_job("ok");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(count(r.output, "probe ok rank "), 2u) << r.output;
}

TEST(MpiFailure, ConfigMismatchFailsOnEveryRankWithoutHanging) {
  const Result r = run_job("mismatch");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.exit_code, 124) << "timed out: " << r.output;
  EXPECT_EQ(count(r.output, "error: config hash differs across ranks: rank 0 has 1111aaaa, rank 1 has 2222bbbb\n"), 2u)
      << r.output;
  EXPECT_EQ(count(r.output, "probe ok"), 0u) << r.output;
}

TEST(MpiFailure, OneRankThrowingAbortsTheJob) {
  const Result r = run_job("die");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.exit_code, 124) << "timed out: " << r.output;
  EXPECT_NE(r.output.find("error: probe: rank 1 failed on purpose"), std::string::npos) << r.output;
  EXPECT_EQ(count(r.output, "probe ok"), 0u) << r.output;
}

TEST(MpiFailure, ACollectiveThatNeverCompletesTimesOut) {
  const Result r = run_job("stall");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.exit_code, 124) << "timed out: " << r.output;
  EXPECT_NE(r.output.find("error: MPI_Barrier: no completion after 2 s (dist.timeout_s)"), std::string::npos)
      << r.output;
}

}  // namespace
