// `accompanist prep` and `accompanist synth` as a user runs them: exit codes,
// one-line errors, broken inputs, and interruption (SIGTERM, SIGINT and
// SIGKILL at known points of a run, sent by prep itself through the test hook
// ACCOMPANIST_PREP_TEST_SIGNAL, leave nothing at the output path or a whole corpus).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "accompanist/data/corpus.h"
#include "common/scratch_dir.h"

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

struct Scratch : acc::testing::ScratchDir {
  Scratch() : ScratchDir("prep_cli") {}
};

// A started `accompanist` process with stdout and stderr in files.
struct Process {
  pid_t pid = -1;
  fs::path out, err;

  // env: variables set in the child only.
  Process(const std::vector<std::string>& args, const fs::path& log_prefix,
          const std::vector<std::pair<std::string, std::string>>& env = {}) {
    out = log_prefix.string() + ".out";
    err = log_prefix.string() + ".err";
    pid = ::fork();
    if (pid == 0) {
      for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
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

Result run(const std::vector<std::string>& args, const fs::path& log_prefix,
           const std::vector<std::pair<std::string, std::string>>& env = {}) {
  Process p(args, log_prefix, env);
  int rc = p.wait();
  return {rc, p.stdout_text(), p.stderr_text()};
}

class PrepCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = new Scratch();
    // The interruption tests stop prep at known points (ACCOMPANIST_PREP_TEST_SIGNAL),
    // so the input need not be big.
    Result r = run({"synth", "--songs", "40", "--out", (*scratch_ / "songs").string(), "--seed", "5", "--no-progress"},
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

// What an interrupted run leaves in its output folder.
enum class Left {
  Nothing,     // no corpus, no reports, no temporary file
  NoCorpus,    // SIGKILL before the rename: no corpus (a stale temporary file may remain)
  CorpusOnly,  // SIGKILL after the rename: a whole corpus, no reports
  Everything,  // the signal came after the last cancel check: the run completes
};

// Runs prep with ACCOMPANIST_PREP_TEST_SIGNAL=hook (it sends itself a signal at a
// known point, see src/apps/accompanist/commands/prep.cpp) and checks its exit
// and everything left at the output path.
void interrupt_run(const fs::path& songs, const std::string& hook, int expected_rc, Left left) {
  SCOPED_TRACE("ACCOMPANIST_PREP_TEST_SIGNAL=" + hook);
  Scratch s;
  const fs::path dir = s / "out", out = dir / "corpus.h5";
  Result r = run({"prep", "--config", kConfig, "--input", songs.string(), "--output", out.string(), "--set",
                  "threads=1", "--set", "bpe.vocab_size=300", "--no-plot", "--no-progress"},
                 s / "prep", {{"ACCOMPANIST_PREP_TEST_SIGNAL", hook}});
  ASSERT_EQ(r.rc, expected_rc) << r.err;
  if (expected_rc == 1) {  // the last line
    const std::string last = "error: prep: interrupted\n";
    EXPECT_TRUE(r.err.size() >= last.size() && r.err.compare(r.err.size() - last.size(), last.size(), last) == 0)
        << r.err;
  }
  const bool corpus = left == Left::CorpusOnly || left == Left::Everything;
  EXPECT_EQ(fs::exists(out), corpus);
  if (corpus) {
    EXPECT_NO_THROW(acc::data::Corpus::open(out.string()).split("train"));
  }
  for (const char* report : {"prep_report.json", "prep_config.yaml", "tokenizer.json"})
    EXPECT_EQ(fs::exists(dir / report), left == Left::Everything) << report;
  std::string temporary;
  if (fs::exists(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().filename().string().find(".tmp-") != std::string::npos) temporary += e.path().string() + " ";
  if (left != Left::NoCorpus) {
    EXPECT_EQ(temporary, "");
  }
}

TEST_F(PrepCli, StopSignalsLeaveNoOutput) {
  const fs::path songs = *scratch_ / "songs";
  interrupt_run(songs, "read:3:TERM", 1, Left::Nothing);
  interrupt_run(songs, "bpe:5:TERM", 1, Left::Nothing);
  interrupt_run(songs, "bpe:5:INT", 1, Left::Nothing);
  interrupt_run(songs, "encode:2:TERM", 1, Left::Nothing);
  interrupt_run(songs, "write:0:TERM", 1, Left::Nothing);  // the temporary corpus file is removed
  // After the rename nothing is cancelled any more: the run completes.
  interrupt_run(songs, "committed:0:TERM", 0, Left::Everything);
}

TEST_F(PrepCli, SigkillLeavesNoOutputOrAWholeCorpus) {
  const fs::path songs = *scratch_ / "songs";
  interrupt_run(songs, "read:3:KILL", 128 + SIGKILL, Left::Nothing);  // before the corpus file exists
  interrupt_run(songs, "bpe:5:KILL", 128 + SIGKILL, Left::Nothing);
  interrupt_run(songs, "write:0:KILL", 128 + SIGKILL, Left::NoCorpus);
  interrupt_run(songs, "committed:0:KILL", 128 + SIGKILL, Left::CorpusOnly);
}

TEST_F(PrepCli, BadTestHookIsAOneLineError) {
  Scratch s;
  for (const char* hook : {"read", "reading:1:TERM", "read:x:TERM", "read:1:HUP"}) {
    Result r = run({"prep", "--config", kConfig, "--input", (*scratch_ / "songs").string(), "--output",
                    (s / "c.h5").string(), "--no-plot"},
                   s / "prep", {{"ACCOMPANIST_PREP_TEST_SIGNAL", hook}});
    EXPECT_EQ(r.rc, 1) << hook;
    EXPECT_EQ(r.err.rfind("error: ACCOMPANIST_PREP_TEST_SIGNAL=", 0), 0u) << r.err;
    EXPECT_FALSE(fs::exists(s / "c.h5"));
  }
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
