// The fault suite: what users' clusters do to a training run. Every case ends
// with a non-zero exit and one `error:` line, or with a clean save, within a
// time limit; no checkpoint that looks complete is ever partial, and the
// previous checkpoint survives.
#include <dirent.h>
#include <signal.h>

#include <chrono>

#include "accompanist/train/checkpoint_store.h"
#include "trainer_test_support.h"

namespace acc::testing {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Every `step-*` folder is complete and loads; `best` (when present) too.
void expect_only_complete_checkpoints(const std::string& run) {
  const fs::path dir = fs::path(run) / "checkpoints";
  if (!fs::exists(dir)) return;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("step-", 0) != 0 && name != "best") continue;
    ASSERT_TRUE(train::CheckpointStore::is_complete(entry.path().string())) << entry.path();
    EXPECT_NO_THROW(model::load_model(entry.path().string())) << entry.path();
  }
}

// The process of a given MPI rank among the children of a launch, found by
// its environment (Open MPI sets OMPI_COMM_WORLD_RANK) and its run dir.
pid_t find_rank_process(const std::string& run_dir, int rank) {
  const std::string want_env = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank);
  DIR* proc = opendir("/proc");
  pid_t found = -1;
  while (dirent* e = proc ? readdir(proc) : nullptr) {
    const pid_t pid = pid_t(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::string cmdline = read_text("/proc/" + std::string(e->d_name) + "/cmdline");
    if (cmdline.find("accompanist-train") == std::string::npos || cmdline.find(run_dir) == std::string::npos) continue;
    std::string env = read_text("/proc/" + std::string(e->d_name) + "/environ");
    for (size_t at = 0; at < env.size();) {
      const size_t end = env.find('\0', at);
      if (env.compare(at, end - at, want_env) == 0) found = pid;
      at = end == std::string::npos ? env.size() : end + 1;
    }
  }
  if (proc) closedir(proc);
  return found;
}

// Waits (up to timeout_s) until metrics.jsonl has a train line at `step` or later.
bool wait_for_step(const std::string& run, int64_t step, double timeout_s) {
  const auto t0 = Clock::now();
  while (seconds_since(t0) < timeout_s) {
    auto l = losses_or_empty(run);
    if (!l.empty() && l.back().first >= step) return true;
    usleep(20000);
  }
  return false;
}

void expect_error_line(const std::string& output, const std::string& text) {
  EXPECT_NE(output.find("error: "), std::string::npos) << output;
  EXPECT_NE(output.find(text), std::string::npos) << output;
  EXPECT_EQ(output.find("terminate called"), std::string::npos) << output;
  EXPECT_EQ(output.find("Aborted"), std::string::npos) << output;
}

// kill -9 of one rank: mpirun ends the whole job (no rank hangs in a
// collective), the checkpoints on disk are all complete, and --resume auto
// finishes the run.
TEST(Faults, KillNineOfOneRankEndsTheJobAndResumes) {
  const std::string dir = scratch_dir("faults_kill_rank");
  const std::string corpus = write_copy_corpus(dir);
  const std::string run = dir + "/run";
  const std::string sets =
      "--set data.corpus=" + corpus + " --set train.log_every=1 --set train.checkpoint_every=3 --set train.threads=1";
  const pid_t job =
      spawn_command(mpirun2() + " " + train_command(run, sets + " --set train.max_steps=100000"), dir + "/killed.log");
  ASSERT_TRUE(wait_for_step(run, 7, 120)) << read_text(dir + "/killed.log");
  const pid_t victim = find_rank_process(run, 1);
  ASSERT_GT(victim, 0) << "rank 1 not found";
  const auto t0 = Clock::now();
  kill(victim, SIGKILL);
  const int code = wait_command(job, 60);
  EXPECT_LT(seconds_since(t0), 60.0) << "the job did not end after one rank died";
  EXPECT_NE(code, 0) << read_text(dir + "/killed.log");
  expect_only_complete_checkpoints(run);
  train::CheckpointStore store(run);
  ASSERT_FALSE(store.complete_steps().empty());

  auto r = run_command(mpirun2() + " " + train_command(run, sets + " --set train.max_steps=30 --resume auto"), 300);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("resumed from"), std::string::npos) << r.output;
  EXPECT_EQ(store.complete_steps().back(), 30);
  expect_only_complete_checkpoints(run);
}

// Space taken by a folder on a filesystem with 4 KiB pages (tmpfs), in KiB.
uintmax_t disk_kib(const std::string& dir) {
  uintmax_t kib = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) kib += (e.file_size() + 4095) / 4096 * 4;
  return kib;
}

// A run with a checkpoint at step 10 is resumed into a run directory where
// the next checkpoint cannot be written. `script` (run by sh with $1 the run
// dir to copy in, $2 the trainer binary and config, $3 the --set arguments,
// $4 where the run dir must end up, $5 the limit from `limit_of`) sets up the
// limit and runs the trainer.
struct DiskFullOutcome {
  CommandResult result;
  std::string run;  // the run directory after the failure (on the normal disk)
};

template <typename LimitOf>
DiskFullOutcome resume_on_a_full_disk(const std::string& dir, const std::string& corpus, const std::string& script,
                                      LimitOf limit_of) {
  const std::string sets =
      "--set data.corpus=" + corpus + " --set train.checkpoint_every=10 --set train.sample_every=0";
  const std::string first = dir + "/first";
  auto r = run_command(train_command(first, sets + " --set train.max_steps=10"), 120);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const std::string cmd = "sh -c '" + script + "' sh " + first + " '" + train_binary() + " --config " + tiny_config() +
                          "' '" + sets + " --set train.max_steps=40 --resume auto' " + dir + "/after " +
                          std::to_string(limit_of(first));
  return {run_command(cmd, 120), dir + "/after"};
}

void expect_previous_checkpoint_intact(const std::string& dir, const std::string& after);

// The failed resume: a non-zero exit with one `error:` line naming the cause,
// and step 10's checkpoint exactly as before.
void expect_write_failure(const DiskFullOutcome& out, const std::string& dir, const std::string& cause) {
  EXPECT_FALSE(out.result.timed_out);
  EXPECT_NE(out.result.exit_code, 0) << out.result.output;
  expect_error_line(out.result.output, cause);
  expect_previous_checkpoint_intact(dir, out.run);
}

void expect_previous_checkpoint_intact(const std::string& dir, const std::string& after) {
  const std::string before = dir + "/first/checkpoints/step-00000010";
  const std::string kept = after + "/checkpoints/step-00000010";
  ASSERT_TRUE(train::CheckpointStore::is_complete(kept));
  for (const char* f : {"model.pt", "optimizer.pt", "trainer_state.json", "model.yaml", "COMPLETE"})
    EXPECT_EQ(read_text(before + "/" + f), read_text(kept + "/" + f)) << f;
  expect_only_complete_checkpoints(after);
  // And the run goes on from it once there is space again.
  auto r = run_command(train_command(after, "--set data.corpus=" + dir + "/corpus.h5" +
                                                " --set train.checkpoint_every=10 --set train.sample_every=0"
                                                " --set train.max_steps=20 --resume auto"),
                       120);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("step-00000010 (step 10)"), std::string::npos) << r.output;
}

// A real ENOSPC: a tmpfs with room for the run and half a checkpoint,
// mounted in a private mount namespace (unshare -m; needs root or user
// namespaces, skipped otherwise; the next test covers the same path).
TEST(Faults, FullDiskIsAClearErrorAndKeepsThePreviousCheckpoint) {
  if (run_command("unshare -m true", 10).exit_code != 0) GTEST_SKIP() << "unshare -m is not permitted here";
  const std::string dir = scratch_dir("faults_enospc");
  const std::string corpus = write_copy_corpus(dir);
  const std::string script =
      "mkdir -p \"$4.mnt\" && unshare -m sh -c \""
      "mount -t tmpfs -o size=${5}k tmpfs $4.mnt && cp -a $1 $4.mnt/run && "
      "$2 --run-dir $4.mnt/run $3; rc=\\$?; cp -a $4.mnt/run $4; exit \\$rc\"";
  auto out = resume_on_a_full_disk(dir, corpus, script, [](const std::string& run) {
    return disk_kib(run) + disk_kib(run + "/checkpoints/step-00000010") / 2;
  });
  expect_write_failure(out, dir, "No space left on device");
}

// A file-size limit (RLIMIT_FSIZE, as a quota would): writes past it fail
// with EFBIG. Works without privileges, so it always runs.
TEST(Faults, FileSizeLimitIsAClearErrorAndKeepsThePreviousCheckpoint) {
  const std::string dir = scratch_dir("faults_fsize");
  const std::string corpus = write_copy_corpus(dir);
  const std::string script = "cp -a $1 $4 && trap \"\" XFSZ && ulimit -f $5 && exec $2 --run-dir $4 $3";
  // A quarter of model.pt in 512-byte blocks (dash; a half in bash's 1 KiB
  // blocks): the smallest checkpoint file cannot be written, metrics can.
  auto out = resume_on_a_full_disk(dir, corpus, script, [](const std::string& run) {
    return fs::file_size(run + "/checkpoints/step-00000010/model.pt") / 4 / 512;
  });
  expect_write_failure(out, dir, "File too large");
}

// A corpus file cut short (an interrupted copy): one clear error on every
// rank, no hang, and nothing in the run directory that looks like a checkpoint.
TEST(Faults, TruncatedCorpusIsAClearError) {
  const std::string dir = scratch_dir("faults_truncated");
  const std::string corpus = write_copy_corpus(dir);
  const auto size = fs::file_size(corpus);
  for (uintmax_t keep : {uintmax_t(0), uintmax_t(700), size / 2, size - 100}) {
    const std::string cut = dir + "/cut-" + std::to_string(keep) + ".h5";
    fs::copy_file(corpus, cut);
    fs::resize_file(cut, keep);
    for (const std::string& launcher : {std::string(), mpirun2() + " "}) {
      const std::string run = dir + "/run-" + std::to_string(keep) + (launcher.empty() ? "-1" : "-2");
      auto r = run_command(launcher + train_command(run, "--set data.corpus=" + cut + " --set train.max_steps=5"), 120);
      SCOPED_TRACE(cut + (launcher.empty() ? " (1 rank)" : " (2 ranks)"));
      EXPECT_FALSE(r.timed_out);
      EXPECT_NE(r.exit_code, 0) << r.output;
      expect_error_line(r.output, cut);
      EXPECT_FALSE(fs::exists(run + "/checkpoints")) << r.output;
    }
  }
}

// SIGTERM while a long validation runs (as a scheduler's pre-emption
// warning): validation stops early and is not recorded, the step is saved,
// exit 0, well before the validation would have ended.
void sigterm_during_validation(bool two_ranks) {
  const std::string dir = scratch_dir(two_ranks ? "faults_term_valid2" : "faults_term_valid1");
  // 20,000 validation pairs = 5,000 batches of a 2+2-layer model: about a
  // minute of validation; the stop must come within seconds.
  const std::string corpus = write_copy_corpus(dir, 0, 160, 20000);
  const std::string run = dir + "/run";
  const std::string sets = "--set data.corpus=" + corpus +
                           " --set model.d_model=128 --set model.ff=256 --set model.enc_layers=2"
                           " --set model.dec_layers=2 --set model.heads=4"
                           " --set train.log_every=10 --set train.valid_every=10 --set train.valid_batches=5000"
                           " --set train.checkpoint_every=1000 --set train.max_steps=1000 --set train.threads=1";
  const std::string cmd = (two_ranks ? mpirun2() + " " : std::string()) + train_command(run, sets);
  const pid_t job = spawn_command(cmd, dir + "/log");
  ASSERT_TRUE(wait_for_step(run, 10, 120)) << read_text(dir + "/log");
  usleep(300000);  // inside the validation of step 10
  // One rank only, in the 2-rank case: the ranks must agree to stop.
  const pid_t target = two_ranks ? find_rank_process(run, 1) : job;
  ASSERT_GT(target, 0);
  const auto t0 = Clock::now();
  kill(target, SIGTERM);
  const int code = wait_command(job, 60);
  const std::string log = read_text(dir + "/log");
  EXPECT_EQ(code, 0) << log;
  EXPECT_LT(seconds_since(t0), 15.0) << log;
  EXPECT_NE(log.find("validation interrupted"), std::string::npos) << log;
  EXPECT_TRUE(losses(run, "valid").empty()) << "a partial validation was recorded";
  train::CheckpointStore store(run);
  EXPECT_EQ(store.complete_steps(), std::vector<int64_t>{10}) << log;
  expect_only_complete_checkpoints(run);
}

TEST(Faults, SigtermDuringValidationSavesPromptly) {
  sigterm_during_validation(false);
}

TEST(Faults, SigtermToOneRankDuringValidationSavesPromptly) {
  sigterm_during_validation(true);
}

}  // namespace
}  // namespace acc::testing
