// `accompanist prep` and `accompanist synth` as a user runs them: exit codes,
// one-line errors, broken inputs, and interruption (SIGTERM and SIGKILL in the
// middle of a run leave nothing at the output path).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "accompanist/data/corpus.h"

namespace fs = std::filesystem;

namespace {

const std::string kBinary = std::string(ACC_BINARY_DIR) + "/bin/accompanist";
const std::string kConfig = std::string(ACC_SOURCE_DIR) + "/configs/prep/default.yaml";

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Scratch {
 public:
  Scratch() {
    path_ = fs::temp_directory_path() / ("acc_prep_cli_" + std::to_string(::getpid()) + "_" + std::to_string(n_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~Scratch() { fs::remove_all(path_); }
  fs::path operator/(const std::string& s) const { return path_ / s; }
  const fs::path& path() const { return path_; }

 private:
  static inline int n_ = 0;
  fs::path path_;
};

// A started `accompanist` process with stdout and stderr in files.
struct Process {
  pid_t pid = -1;
  fs::path out, err;

  Process(const std::vector<std::string>& args, const fs::path& log_prefix) {
    out = log_prefix.string() + ".out";
    err = log_prefix.string() + ".err";
    pid = ::fork();
    if (pid == 0) {
      int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(o, 1);
      ::dup2(e, 2);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(kBinary.c_str()));
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(kBinary.c_str(), argv.data());
      ::_exit(127);
    }
  }
  // Exit status, or 128 + signal.
  int wait() {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string stdout_text() const { return slurp(out); }
  std::string stderr_text() const { return slurp(err); }
};

struct Result {
  int rc;
  std::string out, err;
};

Result run(const std::vector<std::string>& args, const fs::path& log_prefix) {
  Process p(args, log_prefix);
  int rc = p.wait();
  return {rc, p.stdout_text(), p.stderr_text()};
}

class PrepCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = new Scratch();
    // Big enough that reading and BPE take a moment on one thread.
    Result r = run({"synth", "--songs", "600", "--out", (*scratch_ / "songs").string(), "--seed", "5", "--no-progress"},
                   *scratch_ / "synth");
    ASSERT_EQ(r.rc, 0) << r.err;
  }
  static void TearDownTestSuite() { delete scratch_; }
  static Scratch* scratch_;
};
Scratch* PrepCli::scratch_ = nullptr;

TEST_F(PrepCli, BadArgumentsGiveOneLineErrors) {
  Scratch s;
  Result help = run({"prep", "--help"}, s / "help");
  EXPECT_EQ(help.rc, 0);
  EXPECT_NE(help.out.find("--config"), std::string::npos);

  auto expect_error = [&](const std::vector<std::string>& args, const std::string& needle) {
    Result r = run(args, s / "err");
    EXPECT_NE(r.rc, 0);
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(s / "c.h5"));
  };
  const std::string songs = (*scratch_ / "songs").string(), out = (s / "c.h5").string();
  expect_error({"prep", "--config", kConfig, "--input", songs}, "--output");
  expect_error({"prep", "--config", kConfig, "--input", (s / "none").string(), "--output", out}, "no such directory");
  expect_error({"prep", "--config", (s / "missing.yaml").string(), "--input", songs, "--output", out}, "missing.yaml");
  expect_error({"prep", "--config", kConfig, "--input", songs, "--output", out, "--set", "bpe.vocab_size=12"},
               "bpe.vocab_size");
  expect_error({"prep", "--config", kConfig, "--input", songs, "--output", out, "--set", "no_such_key=1"},
               "no_such_key");
  expect_error({"prep", "--config", kConfig, "--input", songs, "--output", out, "--set", "direction=piano->drums"},
               "drums");
  expect_error({"synth", "--songs", "0", "--out", (s / "x").string()}, "songs");
}

TEST_F(PrepCli, CorruptFilesAreReportedAndSkipped) {
  Scratch s;
  fs::path in = s / "in";
  Result synth = run({"synth", "--songs", "12", "--out", in.string(), "--seed", "9", "--no-progress"}, s / "synth");
  ASSERT_EQ(synth.rc, 0) << synth.err;
  std::ofstream(in / "junk.mid") << "MThd garbage";
  std::ofstream(in / "zero.mid");
  {
    // A real file cut in half.
    std::string bytes = slurp(in / "artist_000/song_00001.mid");
    std::ofstream(in / "half.mid", std::ios::binary) << bytes.substr(0, 14);
  }
  Result r = run({"prep", "--config", kConfig, "--input", in.string(), "--output", (s / "out/c.h5").string(), "--set",
                  "bpe.vocab_size=260", "--no-plot"},
                 s / "prep");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("15 files, 12 used, 3 skipped"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unreadable"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(s / "out/c.h5"));
  nlohmann::json rep = nlohmann::json::parse(slurp(s / "out/prep_report.json"));
  uint64_t skipped = rep["files"]["skipped"];
  EXPECT_EQ(skipped, 3u);
  EXPECT_TRUE(fs::exists(s / "out/prep_config.yaml"));
  EXPECT_TRUE(fs::exists(s / "out/tokenizer.json"));
  // Not a terminal: plain progress lines, no carriage-return redraws.
  EXPECT_NE(r.err.find("prep: reading: 15 files in"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos);
}

// Sends sig delay_ms after prep has started working. SIGTERM must stop it
// cleanly with nothing at the output path; after SIGKILL a file at the output
// path, if any, must be a complete corpus (the kill came after the rename).
void interrupt_run(const fs::path& songs, int sig, int delay_ms, bool surely_unfinished) {
  SCOPED_TRACE("signal " + std::to_string(sig) + " after " + std::to_string(delay_ms) + " ms");
  Scratch s;
  const fs::path out = s / "out/corpus.h5";
  Process p({"prep", "--config", kConfig, "--input", songs.string(), "--output", out.string(), "--set", "threads=1",
             "--set", "bpe.vocab_size=3000", "--no-plot"},
            s / "prep");
  // Wait for the start line, then let it get into the work.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (p.stderr_text().find("MIDI files under") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  ::kill(p.pid, sig);
  int rc = p.wait();
  if (rc == 0) {  // finished before the signal came: then it must be complete
    EXPECT_FALSE(surely_unfinished) << "prep finished within " << delay_ms << " ms: the test needs a bigger input";
    EXPECT_NO_THROW(acc::data::Corpus::open(out.string()).split("train"));
  } else if (sig == SIGTERM) {
    EXPECT_EQ(rc, 1) << p.stderr_text();
    EXPECT_NE(p.stderr_text().find("error: prep: interrupted"), std::string::npos) << p.stderr_text();
    if (surely_unfinished) EXPECT_FALSE(fs::exists(out));
    // Stopped after the rename (while writing the report): the corpus is whole.
    if (fs::exists(out)) EXPECT_NO_THROW(acc::data::Corpus::open(out.string()).split("train"));
    // A clean stop leaves no temporary files either.
    if (fs::exists(s / "out"))
      for (const auto& e : fs::directory_iterator(s / "out"))
        EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  } else {
    EXPECT_EQ(rc, 128 + SIGKILL);
    if (surely_unfinished) EXPECT_FALSE(fs::exists(out));
    // Killed after the rename (while writing the report): the corpus is whole.
    if (fs::exists(out)) EXPECT_NO_THROW(acc::data::Corpus::open(out.string()).split("train"));
  }
}

TEST_F(PrepCli, SigtermLeavesNoOutput) {
  interrupt_run(*scratch_ / "songs", SIGTERM, 150, true);   // reading
  interrupt_run(*scratch_ / "songs", SIGTERM, 900, false);  // learning BPE (on this machine)
}
TEST_F(PrepCli, SigkillLeavesNoOutput) {
  interrupt_run(*scratch_ / "songs", SIGKILL, 150, true);  // while reading: certainly no file
  for (int delay : {700, 1400, 2100}) interrupt_run(*scratch_ / "songs", SIGKILL, delay, false);  // later phases
}

TEST_F(PrepCli, SynthIsDeterministic) {
  Scratch s;
  ASSERT_EQ(run({"synth", "--songs", "5", "--out", (s / "a").string(), "--seed", "4", "--threads", "1"}, s / "a").rc,
            0);
  ASSERT_EQ(run({"synth", "--songs", "5", "--out", (s / "b").string(), "--seed", "4", "--threads", "2"}, s / "b").rc,
            0);
  for (const auto& e : fs::recursive_directory_iterator(s / "a")) {
    if (!e.is_regular_file()) continue;
    fs::path rel = fs::relative(e.path(), s / "a");
    EXPECT_EQ(slurp(e.path()), slurp(s / "b" / rel)) << rel;
  }
}

}  // namespace
