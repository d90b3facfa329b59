// A progress display for long batch jobs: a redrawn bar with rate and ETA on a
// terminal, plain periodic log-style lines otherwise (CI logs, SLURM output).
// add() is thread-safe and cheap; drawing is rate-limited.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace acc::util {

class Progress {
 public:
  enum class Mode { Auto, Bar, Lines, Off };

  struct Options {
    Mode mode = Mode::Auto;         // Auto: Bar when out is a terminal, else Lines;
                                    // the environment variable ACCOMPANIST_PROGRESS=bar|lines|off overrides Auto
    double line_interval_s = 10.0;  // Lines: at most one line this often
    double bar_interval_s = 0.1;    // Bar: redraw at most this often
    std::FILE* out = stderr;
  };

  Progress(std::string label, uint64_t total, std::string unit = "files");
  Progress(std::string label, uint64_t total, std::string unit, Options options);
  ~Progress();  // finish()
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void add(uint64_t n = 1);
  // Prints the final state once (a last line; the bar ends with a newline).
  void finish();

  uint64_t done() const { return done_.load(); }
  Mode mode() const { return mode_; }

  // The status text without decoration, e.g.
  // "prep: 120/2000 files (6.0%), 85.3 files/s, ETA 0:22" (for tests).
  std::string status_line(uint64_t done, double elapsed_s) const;

 private:
  void draw(bool final);

  std::string label_;
  std::string unit_;
  uint64_t total_;
  Options options_;
  Mode mode_;
  std::atomic<uint64_t> done_{0};
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::mutex draw_mutex_;
  bool finished_ = false;
};

// "1:02:03" or "2:03" for a number of seconds.
std::string format_duration(double seconds);

}  // namespace acc::util
