#include "accompanist/util/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "accompanist/util/env.h"

namespace acc::util {

namespace {

Progress::Mode resolve_mode(const Progress::Options& o) {
  if (o.mode != Progress::Mode::Auto) return o.mode;
  if (const std::optional<std::string> env = env_value("ACCOMPANIST_PROGRESS")) {
    if (*env == "bar") return Progress::Mode::Bar;
    if (*env == "lines") return Progress::Mode::Lines;
    if (*env == "off") return Progress::Mode::Off;
  }
  return isatty(fileno(o.out)) ? Progress::Mode::Bar : Progress::Mode::Lines;
}

}  // namespace

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  auto s = static_cast<uint64_t>(std::llround(seconds));
  uint64_t h = s / 3600, m = (s / 60) % 60, sec = s % 60;
  if (h > 0) return fmt::format("{}:{:02}:{:02}", h, m, sec);
  return fmt::format("{}:{:02}", m, sec);
}

Progress::Progress(std::string label, uint64_t total, std::string unit)
    : Progress(std::move(label), total, std::move(unit), Options()) {}

Progress::Progress(std::string label, uint64_t total, std::string unit, Options options)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      options_(options),
      mode_(resolve_mode(options)),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  finish();
}

std::string Progress::status_line(uint64_t done, double elapsed_s) const {
  double rate = elapsed_s > 0 ? double(done) / elapsed_s : 0.0;
  std::string eta = (rate > 0 && total_ >= done) ? format_duration(double(total_ - done) / rate) : "?";
  double pct = total_ > 0 ? 100.0 * double(done) / double(total_) : 100.0;
  return fmt::format("{}: {}/{} {} ({:.1f}%), {:.1f} {}/s, ETA {}", label_, done, total_, unit_, pct, rate, unit_, eta);
}

void Progress::add(uint64_t n) {
  done_.fetch_add(n);
  if (mode_ == Mode::Off) return;
  // Drawing is best effort: a thread that finds another drawing skips it.
  std::unique_lock<std::mutex> lock(draw_mutex_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_draw_).count();
  double interval = mode_ == Mode::Bar ? options_.bar_interval_s : options_.line_interval_s;
  if (since < interval) return;
  last_draw_ = now;
  draw(false);
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(draw_mutex_);
  if (finished_) return;
  finished_ = true;
  if (mode_ != Mode::Off) draw(true);
}

void Progress::draw(bool final) {
  uint64_t done = done_.load();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (mode_ == Mode::Lines) {
    std::string line = status_line(done, elapsed);
    if (final) line = fmt::format("{}: {} {} in {}", label_, done, unit_, format_duration(elapsed));
    std::fprintf(options_.out, "%s\n", line.c_str());
  } else {
    const int width = 30;
    double frac = total_ > 0 ? std::min(1.0, double(done) / double(total_)) : 1.0;
    int filled = static_cast<int>(frac * width);
    std::string bar(filled, '#');
    bar.append(width - filled, '.');
    std::string text = status_line(done, elapsed);
    // The label is part of the status line; put the bar after it.
    std::fprintf(options_.out, "\r[%s] %s\033[K%s", bar.c_str(), text.c_str(), final ? "\n" : "");
  }
  std::fflush(options_.out);
}

}  // namespace acc::util
