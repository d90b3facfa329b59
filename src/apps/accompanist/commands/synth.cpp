// accompanist synth --songs N --out DIR [--seed S] [--threads T] [--style mixed|chords]: writes the
// synthetic piano + bass set (acc::data::make_synthetic_song) as MIDI files in
// an Artist/Song.mid layout, for tests, benchmarks and smoke runs.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

#include "accompanist/command.h"
#include "accompanist/data/synthetic_song.h"

namespace {

struct SynthArgs {
  uint64_t songs = 0;
  std::string out;
  uint64_t seed = 1;
  int threads = 0;
  bool no_progress = false;
  std::string style = "mixed";
};

std::function<int()> setup_synth(CLI::App& app) {
  auto* cmd = app.add_subcommand("synth", "Write synthetic piano + bass songs with known structure as MIDI files");
  auto a = std::make_shared<SynthArgs>();
  cmd->add_option("--songs", a->songs, "number of songs")
      ->required()
      ->check(CLI::Range(uint64_t(1), uint64_t(10'000'000)));
  cmd->add_option("--out", a->out, "output directory")->required();
  cmd->add_option("--seed", a->seed, "seed (the same seed gives the same files)");
  cmd->add_option("--threads", a->threads, "threads (0 = all cores)")->check(CLI::Range(0, 4096));
  cmd->add_option("--style", a->style,
                  "mixed (sevenths, half-bar chords, passing notes) or chords (one triad a bar, inversions, "
                  "the bass on the root at each bar start)")
      ->check(CLI::IsMember({"mixed", "chords"}));
  cmd->add_flag("--no-progress", a->no_progress, "no progress display");
  return [a]() {
    auto paths = acc::data::write_synthetic_set(a->out, a->songs, a->seed, a->threads, !a->no_progress,
                                                acc::data::parse_synth_style(a->style));
    std::cout << fmt::format("synth: wrote {} {} songs under {} (seed {})\n", paths.size(), a->style, a->out, a->seed);
    return 0;
  };
}

}  // namespace

ACC_REGISTER_COMMAND(synth, setup_synth);
