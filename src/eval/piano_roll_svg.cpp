#include "eval/piano_roll_svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "accompanist/midi/meter.h"

namespace acc::eval {

namespace {

using json = nlohmann::ordered_json;

constexpr double kLeft = 92;      // lane labels
constexpr double kBarWidth = 56;  // pixels per bar
constexpr double kLaneHeight = 84;
constexpr double kChordRow = 18;  // chord names above the lanes
constexpr double kRootRow = 16;   // one row of root marks per part below

struct Lane {
  const char* key;
  const char* label;
  const char* color;
};
constexpr Lane kLanes[] = {
    {"source", "source", "#3b6fb6"}, {"generated", "generated", "#d9534f"}, {"reference", "reference", "#5a9e5a"}};

// The lowest and highest pitch of a part (a one-octave default when empty).
std::pair<int, int> pitch_range(const json& notes) {
  int lo = 128, hi = -1;
  for (const json& n : notes) {
    lo = std::min(lo, n[0].get<int>());
    hi = std::max(hi, n[0].get<int>());
  }
  if (hi < 0) return {48, 60};
  if (hi - lo < 12) {
    const int pad = (12 - (hi - lo)) / 2;
    lo -= pad;
    hi = lo + 12;
  }
  return {lo, hi};
}

void root_row(std::string& svg, const json& marks, double y, const char* label, int64_t bars) {
  svg += fmt::format(R"(<text x="4" y="{:.1f}" class="lbl">root, {}</text>)", y + 11, label);
  for (int64_t b = 0; b < bars && size_t(b) < marks.size(); ++b) {
    const json& m = marks[size_t(b)];
    if (!m.is_boolean()) continue;
    const bool hit = m.get<bool>();
    svg += fmt::format(
        R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="10" fill="{}"><title>bar {}: {}</title></rect>)",
        kLeft + double(b) * kBarWidth + 4, y + 2, kBarWidth - 8, hit ? "#5cb85c" : "#d9534f", b + 1,
        hit ? "plays the chord root" : "does not play the root");
  }
}

}  // namespace

std::string escape_html(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string piano_roll_svg(const json& sample, int ticks_per_quarter) {
  const int64_t bars = std::max<int64_t>(sample.value("bars", int64_t(1)), 1);
  const double bar_ticks = double(midi::kBeatsPerBar) * ticks_per_quarter;
  const double width = kLeft + double(bars) * kBarWidth + 4;
  const double lanes_top = kChordRow;
  const double height = lanes_top + 3 * kLaneHeight + 2 * kRootRow + 4;
  std::string svg = fmt::format(
      R"(<svg class="roll" viewBox="0 0 {0:.0f} {1:.0f}" width="{0:.0f}" height="{1:.0f}" role="img">)", width, height);
  svg += R"(<style>.lbl{font:11px sans-serif;fill:#333}.ch{font:10px sans-serif;fill:#222;text-anchor:middle}</style>)";
  // Bar grid and numbers, chord names on top.
  const json& chords = sample.contains("chords") ? sample["chords"] : json::array();
  for (int64_t b = 0; b <= bars; ++b) {
    const double x = kLeft + double(b) * kBarWidth;
    svg += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="{3}" stroke-width="1"/>)",
                       x, lanes_top, lanes_top + 3 * kLaneHeight, b % 4 == 0 ? "#999" : "#ddd");
    if (b < bars && size_t(b) < chords.size() && chords[size_t(b)].is_string())
      svg += fmt::format(R"(<text x="{:.1f}" y="13" class="ch">{}</text>)", x + kBarWidth / 2,
                         escape_html(chords[size_t(b)].get<std::string>()));
  }
  svg += R"(<text x="4" y="13" class="lbl">chord</text>)";
  for (int lane = 0; lane < 3; ++lane) {
    const Lane& l = kLanes[lane];
    const double top = lanes_top + lane * kLaneHeight;
    svg += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="none" stroke="#bbb"/>)",
                       kLeft, top, double(bars) * kBarWidth, kLaneHeight);
    svg += fmt::format(R"(<text x="4" y="{:.1f}" class="lbl" style="fill:{}">{}</text>)", top + kLaneHeight / 2 + 4,
                       l.color, l.label);
    const json& notes = sample.contains(l.key) ? sample[l.key] : json::array();
    const auto [lo, hi] = pitch_range(notes);
    const double step = (kLaneHeight - 6) / double(hi - lo + 1);
    std::string rects;
    for (const json& n : notes) {
      const int pitch = n[0].get<int>();
      const double start = n[1].get<double>(), end = std::max(n[2].get<double>(), start + 1);
      if (start >= double(bars) * bar_ticks) continue;
      const double x0 = kLeft + start / bar_ticks * kBarWidth;
      const double x1 = std::min(kLeft + end / bar_ticks * kBarWidth, kLeft + double(bars) * kBarWidth);
      const double y = top + 3 + double(hi - pitch) * step;
      rects += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}"/>)", x0, y,
                           std::max(x1 - x0, 1.0), std::max(step, 1.5));
    }
    svg += fmt::format(R"(<g fill="{}">{}</g>)", l.color, rects);
  }
  const double roots = lanes_top + 3 * kLaneHeight + 2;
  root_row(svg, sample.value("root_generated", json::array()), roots, "gen.", bars);
  root_row(svg, sample.value("root_reference", json::array()), roots + kRootRow, "ref.", bars);
  svg += "</svg>";
  return svg;
}

}  // namespace acc::eval
