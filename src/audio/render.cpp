#include "accompanist/audio/render.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "accompanist/audio/wav.h"
#include "accompanist/midi/writer.h"
#include "accompanist/util/error.h"

extern char** environ;

namespace acc::audio {

namespace fs = std::filesystem;

namespace {

// Removes the renderer's temporary files however render_song leaves.
struct TempFiles {
  std::vector<std::string> paths;
  ~TempFiles() {
    std::error_code ec;
    for (const auto& p : paths) fs::remove(p, ec);
  }
};

// Runs args without a shell, stdout and stderr to /dev/null; the exit status,
// or -1 when it could not be started or did not exit.
int run_quietly(const std::vector<std::string>& args, std::string* why) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    *why = fmt::format("cannot start {}: {}", args[0], std::strerror(rc));
    return -1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::string renderer_unavailable(const RenderOptions& options) {
  std::error_code ec;
  if (access(options.fluidsynth.c_str(), X_OK) != 0)
    return options.fluidsynth + " is not installed (Debian package fluidsynth)";
  if (!fs::is_regular_file(options.soundfont, ec))
    return "sound font " + options.soundfont + " is not installed (Debian package fluid-soundfont-gm)";
  return "";
}

void render_song(const midi::Song& song, const std::string& wav_path, const RenderOptions& options) {
  const std::string unavailable = renderer_unavailable(options);
  ACC_CHECK(unavailable.empty(), wav_path, unavailable);
  ACC_CHECK(options.sample_rate >= 8000 && options.sample_rate <= 192000, wav_path,
            fmt::format("sample rate {} is outside 8000..192000", options.sample_rate));
  TempFiles temps;
  const std::string stem = fmt::format("{}.render-{}", wav_path, ::getpid());
  const std::string mid = stem + ".mid", raw = stem + ".wav";  // fluidsynth picks the file type by extension
  temps.paths = {mid, raw};
  midi::write_midi_file(song, mid);
  // Float samples: fluidsynth's mix may exceed full scale; the peak is set below.
  std::string why;
  const int status = run_quietly({options.fluidsynth, "-n", "-i", "-q", "-F", raw, "-T", "wav", "-O", "float", "-r",
                                  std::to_string(options.sample_rate), "-g", "0.5", options.soundfont, mid},
                                 &why);
  ACC_CHECK(status == 0, wav_path,
            why.empty() ? fmt::format("{} exited with status {} on {}", options.fluidsynth, status, mid) : why);
  Wav wav = read_wav(raw);
  normalise_peak(wav, options.peak);
  write_wav_pcm16(wav, wav_path);
}

double song_seconds(const midi::Song& song) {
  int64_t end = 0;
  for (const midi::Part& part : song.parts)
    for (const midi::Note& n : part.notes) end = std::max(end, n.end);
  std::vector<midi::TempoChange> tempos = song.tempos;
  std::stable_sort(tempos.begin(), tempos.end(), [](const auto& a, const auto& b) { return a.tick < b.tick; });
  double seconds = 0.0;
  int64_t tick = 0;
  int us = 500000;
  for (const midi::TempoChange& t : tempos) {
    if (t.tick >= end) break;
    seconds += double(std::max<int64_t>(t.tick - tick, 0)) * us / 1e6 / song.ticks_per_quarter;
    tick = std::max(tick, t.tick);
    us = t.us_per_quarter;
  }
  return seconds + double(end - tick) * us / 1e6 / song.ticks_per_quarter;
}

}  // namespace acc::audio
