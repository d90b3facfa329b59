// accompanist prep --config FILE.yaml --input DIR --output corpus.h5 [--set key=value]...
// Builds the tokenizer and the HDF5 corpus (SPEC section 9); see docs/data.md.
// SIGINT and SIGTERM stop the run cleanly: no file is left at the output path.
// Test hook: ACCOMPANIST_PREP_TEST_SIGNAL=<point>:<done>:<TERM|INT|KILL>
// (point one of acc::data::kPrepTestPoints, e.g. "read:3:TERM") makes prep
// send itself that signal the first time it reaches the point with at least
// <done> done, so that tests interrupt it at a known point
// (tests/apps/prep_cli_test.cpp).
#include <fmt/format.h>

#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "accompanist/command.h"
#include "accompanist/data/prep.h"
#include "accompanist/util/env.h"
#include "accompanist/util/error.h"

namespace {

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void on_stop_signal(int) {
  g_interrupted.store(true);
}

// Installs the stop handlers for the lifetime of the object.
class StopSignals {
 public:
  StopSignals() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {
  }, old_term_{};
};

// The test hook of ACCOMPANIST_PREP_TEST_SIGNAL (see the top of this file); none when it is unset.
std::function<void(const std::string&, uint64_t)> signal_hook_from_environment() {
  const std::optional<std::string> env = acc::util::env_value("ACCOMPANIST_PREP_TEST_SIGNAL");
  if (!env) return {};
  const std::string text = *env;
  const auto bad = [&] {
    return acc::Error("ACCOMPANIST_PREP_TEST_SIGNAL=" + text,
                      "expected <point>:<done>:<TERM|INT|KILL>, point one of read, "
                      "bpe, encode, write, committed");
  };
  const size_t a = text.find(':'), b = text.find(':', a == std::string::npos ? a : a + 1);
  if (a == std::string::npos || b == std::string::npos) throw bad();
  const std::string point = text.substr(0, a), sig_name = text.substr(b + 1);
  uint64_t done = 0;
  const auto [end, ec] = std::from_chars(text.data() + a + 1, text.data() + b, done);
  if (ec != std::errc() || end != text.data() + b) throw bad();
  bool known = false;
  for (const char* p : acc::data::kPrepTestPoints) known = known || point == p;
  const int sig = sig_name == "TERM" ? SIGTERM : sig_name == "INT" ? SIGINT : sig_name == "KILL" ? SIGKILL : 0;
  if (!known || sig == 0) throw bad();
  auto fired = std::make_shared<std::atomic<bool>>(false);
  return [=](const std::string& at, uint64_t count) {
    if (at == point && count >= done && !fired->exchange(true)) std::raise(sig);
  };
}

struct PrepArgs {
  std::string config, input, output;
  std::vector<std::string> overrides;
  bool no_progress = false, no_plot = false;
};

std::string human(uint64_t n) {
  if (n >= 10'000'000) return fmt::format("{:.1f}M", double(n) / 1e6);
  if (n >= 10'000) return fmt::format("{:.1f}k", double(n) / 1e3);
  return std::to_string(n);
}

std::function<int()> setup_prep(CLI::App& app) {
  auto* cmd = app.add_subcommand("prep", "Build the tokenizer and the HDF5 corpus of token pairs from MIDI files");
  auto a = std::make_shared<PrepArgs>();
  cmd->add_option("--config", a->config, "prep config (YAML), e.g. configs/prep/default.yaml")->required();
  cmd->add_option("--input", a->input, "directory of MIDI files (searched recursively)")->required();
  cmd->add_option("--output", a->output, "corpus file to write (HDF5); reports go next to it")->required();
  cmd->add_option("--set", a->overrides, "override a config key, e.g. --set bpe.vocab_size=300")
      ->take_all()
      ->allow_extra_args(false);
  cmd->add_flag("--no-progress", a->no_progress, "no progress display");
  cmd->add_flag("--no-plot", a->no_plot, "do not plot the token histogram");
  return [a]() {
    acc::data::PrepOptions o;
    o.input_dir = a->input;
    o.output_path = a->output;
    o.config = acc::data::load_prep_config(a->config, a->overrides);
    o.progress = !a->no_progress;
    o.plot = !a->no_plot;
    o.cancel = &g_interrupted;
    o.test_point = signal_hook_from_environment();
    g_interrupted = false;
    StopSignals signals;
    acc::data::PrepSummary s = acc::data::run_prep(o);

    uint64_t skipped = 0;
    std::string reasons;
    for (const auto& [reason, n] : s.skipped) {
      skipped += n;
      reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", n, reason);
    }
    std::cout << fmt::format("prep: {} files, {} used, {} skipped{}\n", s.files_found, s.files_used, skipped,
                             reasons.empty() ? "" : " (" + reasons + ")");
    std::cout << fmt::format("prep: pairs train {} / valid {} / test {} (songs {} / {} / {}){}\n", s.pairs[0],
                             s.pairs[1], s.pairs[2], s.songs[0], s.songs[1], s.songs[2],
                             s.augmented_pairs ? fmt::format(", {} transposed", s.augmented_pairs) : "");
    std::cout << fmt::format("prep: tokens {} REMI -> {} BPE ({:.2f}x), vocabulary {}\n", human(s.remi_tokens),
                             human(s.bpe_tokens), s.bpe_tokens ? double(s.remi_tokens) / double(s.bpe_tokens) : 0.0,
                             s.vocab_size);
    std::cout << fmt::format("prep: wrote {}, {}, {}, {}{} in {:.1f} s ({:.0f} files/s, {:.0f} notes/s reading)\n",
                             o.output_path, s.report_path, s.config_path, s.tokenizer_path,
                             s.plot_path.empty() ? "" : ", " + s.plot_path, s.seconds,
                             s.read_seconds > 0 ? double(s.files_found) / s.read_seconds : 0.0,
                             s.read_seconds > 0 ? double(s.notes) / s.read_seconds : 0.0);
    std::cout.flush();
    return 0;
  };
}

}  // namespace

ACC_REGISTER_COMMAND(prep, setup_prep);
