// report.md: the numbers of report.json as tables that mirror the thesis's
// Table 2 and Figs. 14-17, with the plots linked when they exist.
#include <fmt/format.h>

#include <sstream>

#include "accompanist/eval/report.h"
#include "eval/part_measures.h"
#include "eval/report_json.h"

namespace acc::eval {

namespace {

using json = nlohmann::ordered_json;

using detail::at;
using detail::num;  // 4 decimals, or "n/a" for null / missing

// One row per sample of the per-bar data: a token per bar.
std::string bar_row(const json& values, bool chords) {
  std::string out;
  for (const json& v : values) {
    if (!out.empty()) out += ' ';
    if (chords) {
      out += v.is_string() ? v.get<std::string>() : "-";
    } else {
      out += v.is_boolean() ? (v.get<bool>() ? "1" : "0") : "-";
    }
  }
  return out;
}

void render_harmony_markdown(std::ostringstream& md, const json& h) {
  if (!h.is_object()) return;
  md << "\n## Harmony (docs/evaluation.md; `plots/harmony.png`)\n\n";
  md << "Chords of the source bars by template matching: " << num(at(h, {"chord_bars"})) << " of "
     << num(at(h, {"bars"})) << " bars have one. Mock: the generated rhythm with random pitches in its range; "
     << "shuffled: generated parts over other samples' sources (" << num(at(h, {"shuffles"})) << " permutations).\n\n";
  md << "| measure | generated | reference | mock | shuffled |\n|---|---|---|---|---|\n";
  auto row = [&](const char* label, const char* key) {
    md << "| " << label << " | " << num(at(h, {key, "generated"})) << " | " << num(at(h, {key, "reference"})) << " | "
       << num(at(h, {key, "mock"})) << " | " << num(at(h, {key, "shuffled"})) << " |\n";
  };
  row("root agreement", "root_agreement");
  row("bars counted (chord and onset)", "bars_counted");
  row("chord-tone rate", "chord_tone_rate");
  row("bars filled (relative to the reference)", "bars_filled");
  const json& per_bar = at(h, {"per_bar"});
  if (per_bar.is_array() && !per_bar.empty()) {
    md << "\nPer bar (chord of the source bar; root at the first onset: 1 yes, 0 no, - not counted):\n\n";
    md << "| sample | chords | generated root | reference root |\n|---|---|---|---|\n";
    for (const json& s : per_bar)
      md << "| " << num(at(s, {"index"})) << " | " << bar_row(at(s, {"chords"}), true) << " | "
         << bar_row(at(s, {"generated"}), false) << " | " << bar_row(at(s, {"reference"}), false) << " |\n";
  }
}

void render_title(std::ostringstream& md, const json& r) {
  md << "# Evaluation report\n\n";
  md << "Mode: `" << at(r, {"mode"}).get<std::string>() << "`, git revision `"
     << (at(r, {"git_revision"}).is_string() ? at(r, {"git_revision"}).get<std::string>() : "?") << "`, seed "
     << num(at(r, {"settings", "seed"})) << ". Definitions: docs/evaluation.md.\n\n";
}

void render_summary(std::ostringstream& md, const json& r) {
  md << "## Summary\n\n| measure | value |\n|---|---|\n";
  md << "| samples | " << num(r["samples"]) << " |\n";
  md << "| decodable (generated part with at least one note) | " << num(r["decodable"]) << " |\n";
  md << "| grammar error rate (generated) | " << num(r["grammar_error_rate"]) << " |\n";
  md << "| empty-bar rate, reference | " << num(at(r, {"empty_bar_rate", "reference"})) << " |\n";
  md << "| empty-bar rate, generated | " << num(at(r, {"empty_bar_rate", "generated"})) << " |\n";
  md << "| empty-bar rate, validation | " << num(at(r, {"empty_bar_rate", "validation"})) << " |\n\n";
}

// Thesis Table 2: Levenshtein distances of bar rhythm strings.
void render_rhythm_distances(std::ostringstream& md, const json& lev) {
  md << "Average Levenshtein distances of " << num(at(lev, {"random_pairs"}))
     << " randomly picked pairs of 32-position bar rhythm strings (thesis Table 2).\n\n";
  md << "| pairs | mean distance |\n|---|---|\n";
  md << "| generated - validation | " << num(at(lev, {"generated"})) << " |\n";
  md << "| mock - validation | " << num(at(lev, {"mock"})) << " |\n";
  md << "| validation - validation (the data's own spread) | " << num(at(lev, {"pairs"})) << " |\n";
  md << "| reference - validation | " << num(at(lev, {"reference"})) << " |\n";
  md << "| generated bar i - reference bar i (same sample) | " << num(at(lev, {"aligned"})) << " |\n\n";
}

void render_rhythm(std::ostringstream& md, const json& r) {
  md << "## Rhythm (thesis 4.3.1)\n\n";
  render_rhythm_distances(md, at(r, {"rhythm", "levenshtein"}));
  md << "| per bar | validation | reference | generated | mock |\n|---|---|---|---|---|\n";
  md << "| notes | " << num(at(r, {"rhythm", "notes_per_bar", "validation"})) << " | "
     << num(at(r, {"rhythm", "notes_per_bar", "reference"})) << " | "
     << num(at(r, {"rhythm", "notes_per_bar", "generated"})) << " | |\n";
  md << "| onset positions | " << num(at(r, {"rhythm", "onsets_per_bar", "validation"})) << " | "
     << num(at(r, {"rhythm", "onsets_per_bar", "reference"})) << " | "
     << num(at(r, {"rhythm", "onsets_per_bar", "generated"})) << " | "
     << num(at(r, {"rhythm", "onsets_per_bar", "mock"})) << " |\n\n";

  md << "Onsets at each position per bar (Figs. 14-15; `plots/position_hist.png`):\n\n";
  md << "| position | validation | generated | mock |\n|---|---|---|---|\n";
  const json& hist = at(r, {"rhythm", "position_hist"});
  for (size_t p = 0; p < 32; ++p) {
    auto cell = [&](const char* set) {
      const json& h = at(hist, {set});
      return h.is_array() && p < h.size() ? num(h[p]) : std::string("n/a");
    };
    md << "| " << p << " | " << cell("validation") << " | " << cell("generated") << " | " << cell("mock") << " |\n";
  }
}

void render_tonality(std::ostringstream& md, const json& r) {
  md << "\n## Tonality (thesis 4.3.2)\n\n";
  md << "Fraction of the " << num(at(r, {"key", "samples"}))
     << " samples with a reference key whose key is among the top k Krumhansl-Schmuckler keys (Figs. 16-17; "
        "`plots/key_topk.png`).\n\n";
  md << "| k | generated | shuffled (random pairing) | random key order | source part |\n|---|---|---|---|---|\n";
  const json& topk = at(r, {"key", "topk_match"});
  for (size_t k = 0; k < 24; ++k) {
    auto cell = [&](const char* set) {
      const json& c = at(topk, {set});
      return c.is_array() && k < c.size() ? num(c[k]) : std::string("n/a");
    };
    md << "| " << k + 1 << " | " << cell("generated") << " | " << cell("shuffled") << " | " << cell("random_order")
       << " | " << cell("source") << " |\n";
  }
}

// The part measures of that section (part_measures.cpp), one row each.
void render_beyond_the_thesis(std::ostringstream& md, const json& r) {
  md << "\n## Beyond the thesis\n\n| measure | reference | generated |\n|---|---|---|\n";
  for (const PartMeasure& m : part_measures()) {
    if (m.section != ReportSection::BeyondTheThesis) continue;
    const json& node = measure_in(r, m);
    md << "| " << m.row_label() << " | " << num(at(node, {"reference"})) << " | " << num(at(node, {"generated"}))
       << " |\n";
  }
}

void render_tokens(std::ostringstream& md, const json& r) {
  md << "\n## Tokens (thesis Figs. 10-11; `plots/token_hist.png`)\n\n";
  md << "| set | sequences | base tokens | BPE tokens | base per BPE token | BPE ids used "
        "|\n|---|---|---|---|---|---|\n";
  for (const char* set : {"validation", "generated"}) {
    const json& t = at(r, {"token_histograms", set});
    md << "| " << set << " | " << num(at(t, {"sequences"})) << " | " << num(at(t, {"base_tokens"})) << " | "
       << num(at(t, {"bpe_tokens"})) << " | " << num(at(t, {"compression"}), 3) << " | " << num(at(t, {"bpe_ids_used"}))
       << " |\n";
  }
}

void render_plots(std::ostringstream& md) {
  md << "\n## Plots\n\n";
  for (const char* plot : {"position_hist", "key_topk", "token_hist", "notes_per_bar", "harmony", "piano_rolls"})
    md << "![" << plot << "](plots/" << plot << ".png)\n";
}

}  // namespace

std::string render_markdown(const json& r) {
  std::ostringstream md;
  render_title(md, r);
  render_summary(md, r);
  render_rhythm(md, r);
  render_tonality(md, r);
  render_beyond_the_thesis(md, r);
  render_harmony_markdown(md, at(r, {"harmony"}));
  render_tokens(md, r);
  render_plots(md);
  return md.str();
}

}  // namespace acc::eval
