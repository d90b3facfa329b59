// report.html: the evaluation as one page that opens from disk with no server
// and no network: tables from report.json, the PNG plots embedded as base64,
// per sample an inline SVG piano roll with the source chords and root marks,
// and audio players with relative links to the A/B mixes when they exist.
#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <sstream>

#include "accompanist/eval/report.h"
#include "accompanist/util/file.h"
#include "eval/part_measures.h"
#include "eval/piano_roll_svg.h"
#include "eval/report_json.h"

namespace acc::eval {

namespace fs = std::filesystem;

namespace {

using json = nlohmann::ordered_json;

const char* const kStyle =
    R"(body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:0 16px 40px;color:#222}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:2px;margin-top:28px}h3{font-size:15px;margin:18px 0 4px}
table{border-collapse:collapse;margin:6px 0 12px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
figure{margin:10px 0}figure img{max-width:100%;border:1px solid #eee}figcaption{color:#555;font-size:12px}
.roll-box{overflow-x:auto;border:1px solid #eee;padding:4px}.players{display:flex;gap:24px;flex-wrap:wrap;margin:4px 0}
.players div{font-size:12px;color:#555}nav a{margin-right:8px}.muted{color:#777})";

using detail::at;

// report_json.h's num(), and strings escaped.
std::string num(const json& value, int decimals = 4) {
  return value.is_string() ? escape_html(value.get<std::string>()) : detail::num(value, decimals);
}

std::string base64(const std::vector<uint8_t>& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const uint32_t n = uint32_t(bytes[i]) << 16 | (i + 1 < bytes.size() ? uint32_t(bytes[i + 1]) << 8 : 0) |
                       (i + 2 < bytes.size() ? uint32_t(bytes[i + 2]) : 0);
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += i + 1 < bytes.size() ? kAlphabet[n >> 6 & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

// A relative URL from the page's folder to a file: path segments percent-encoded.
std::string relative_url(const fs::path& file, const fs::path& page_dir) {
  std::error_code ec;
  const fs::path rel = fs::relative(fs::absolute(file), fs::absolute(page_dir), ec);
  const std::string path = (ec || rel.empty() ? fs::absolute(file) : rel).generic_string();
  std::string url;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '.' || c == '-' || c == '_' || c == '~') {
      url += char(c);
    } else {
      url += fmt::format("%{:02X}", c);
    }
  }
  return url;
}

void table_row(std::ostringstream& h, const std::string& label, std::initializer_list<std::string> cells) {
  h << "<tr><td>" << label << "</td>";
  for (const std::string& c : cells) h << "<td>" << c << "</td>";
  h << "</tr>\n";
}

void summary_tables(std::ostringstream& h, const json& r) {
  h << "<h2 id=\"summary\">Summary</h2>\n<table><tr><th>measure</th><th>value</th></tr>\n";
  table_row(h, "samples", {num(r["samples"])});
  table_row(h, "decodable (generated part with at least one note)", {num(r["decodable"])});
  table_row(h, "grammar error rate (generated)", {num(r["grammar_error_rate"])});
  table_row(h, "empty-bar rate: reference / generated / validation",
            {num(at(r, {"empty_bar_rate", "reference"})) + " / " + num(at(r, {"empty_bar_rate", "generated"})) + " / " +
             num(at(r, {"empty_bar_rate", "validation"}))});
  h << "</table>\n";

  const json& hm = at(r, {"harmony"});
  h << "<h2 id=\"harmony\">Harmony</h2>\n<p>Chord of each source bar by template matching; "
    << num(at(hm, {"chord_bars"})) << " of " << num(at(hm, {"bars"}))
    << " bars have one. Mock: the generated rhythm with random pitches; shuffled: generated parts over other "
       "samples' sources.</p>\n";
  h << "<table><tr><th>measure</th><th>generated</th><th>reference</th><th>mock</th><th>shuffled</th></tr>\n";
  for (auto [key, label] : {std::pair<const char*, const char*>{"root_agreement", "root agreement"},
                            {"bars_counted", "bars counted"},
                            {"chord_tone_rate", "chord-tone rate"},
                            {"bars_filled", "bars filled (relative to the reference)"}}) {
    table_row(h, label,
              {num(at(hm, {key, "generated"})), num(at(hm, {key, "reference"})), num(at(hm, {key, "mock"})),
               num(at(hm, {key, "shuffled"}))});
  }
  h << "</table>\n";

  const json& lev = at(r, {"rhythm", "levenshtein"});
  h << "<h2 id=\"rhythm\">Rhythm (thesis 4.3.1)</h2>\n<p>Mean Levenshtein distance of "
    << num(at(lev, {"random_pairs"})) << " random pairs of 32-position bar rhythm strings (Table 2).</p>\n";
  h << "<table><tr><th>pairs</th><th>mean distance</th></tr>\n";
  table_row(h, "generated - validation", {num(at(lev, {"generated"}))});
  table_row(h, "mock - validation", {num(at(lev, {"mock"}))});
  table_row(h, "validation - validation (the data's own spread)", {num(at(lev, {"pairs"}))});
  table_row(h, "reference - validation", {num(at(lev, {"reference"}))});
  table_row(h, "generated bar i - reference bar i", {num(at(lev, {"aligned"}))});
  h << "</table>\n";

  const json& topk = at(r, {"key", "topk_match"});
  h << "<h2 id=\"key\">Tonality (thesis 4.3.2)</h2>\n<p>Share of the " << num(at(r, {"key", "samples"}))
    << " samples with a reference key whose key is among the top k keys.</p>\n";
  h << "<table><tr><th>k</th><th>generated</th><th>shuffled</th><th>random key order</th><th>source part</th></tr>\n";
  for (size_t k : {0, 2, 4}) {
    auto cell = [&](const char* set) {
      const json& c = at(topk, {set});
      return c.is_array() && k < c.size() ? num(c[k]) : std::string("n/a");
    };
    table_row(h, std::to_string(k + 1), {cell("generated"), cell("shuffled"), cell("random_order"), cell("source")});
  }
  h << "</table>\n";

  h << "<h2 id=\"extras\">Beyond the "
       "thesis</h2>\n<table><tr><th>measure</th><th>reference</th><th>generated</th></tr>\n";
  for (const PartMeasure& m : part_measures()) {
    if (m.section != ReportSection::BeyondTheThesis) continue;
    const json& node = measure_in(r, m);
    table_row(h, escape_html(m.row_label()), {num(at(node, {"reference"})), num(at(node, {"generated"}))});
  }
  h << "</table>\n";
}

void plots(std::ostringstream& h, const std::string& plots_dir) {
  static const std::pair<const char*, const char*> kPlots[] = {
      {"harmony", "Harmony against the source chords"},
      {"position_hist", "Onsets per bar at each position (thesis Figs. 14-15)"},
      {"key_topk", "Top-k key match (thesis Figs. 16-17)"},
      {"notes_per_bar", "Notes per bar"},
      {"token_hist", "Token histograms (thesis Figs. 10-11)"},
      {"piano_rolls", "Piano rolls of the first samples"}};
  std::ostringstream figures;
  for (const auto& [name, caption] : kPlots) {
    const fs::path png = fs::path(plots_dir) / (std::string(name) + ".png");
    std::error_code ec;
    if (plots_dir.empty() || !fs::is_regular_file(png, ec)) continue;
    figures << "<figure><img alt=\"" << name << "\" src=\"data:image/png;base64,"
            << base64(util::read_file_bytes(png.string(), uint64_t(64) << 20)) << "\"><figcaption>" << caption
            << "</figcaption></figure>\n";
  }
  const std::string text = figures.str();
  h << "<h2 id=\"plots\">Plots</h2>\n"
    << (text.empty() ? "<p class=\"muted\">No plots (--no-plots, or matplotlib missing).</p>\n" : text);
}

void samples(std::ostringstream& h, const json& r, const json& page, const std::string& out_dir,
             const std::string& samples_dir) {
  const json& list = at(page, {"samples"});
  if (!list.is_array() || list.empty()) return;
  const int tpq = at(page, {"ticks_per_quarter"}).is_number() ? at(page, {"ticks_per_quarter"}).get<int>() : 384;
  const json& per_sample = at(r, {"harmony", "per_sample"});
  h << "<h2 id=\"samples\">Samples</h2>\n<p>Source, generated and reference parts on one bar grid; above, the chord "
       "of each source bar; below, whether the generated and the reference part play the chord root at their first "
       "onset in the bar (green yes, red no, empty: not counted).</p>\n<nav>";
  for (const json& s : list) h << "<a href=\"#sample-" << num(s["index"]) << "\">" << num(s["index"]) << "</a>";
  h << "</nav>\n";
  for (size_t i = 0; i < list.size(); ++i) {
    const json& s = list[i];
    const std::string index = num(s["index"]);
    h << "<section id=\"sample-" << index << "\"><h3>Sample " << index << "</h3>\n";
    const json& m = i < per_sample.size() ? per_sample[i] : json();
    h << "<p>root agreement " << num(at(m, {"root_agreement"}), 3) << ", chord-tone rate "
      << num(at(m, {"chord_tone_rate"}), 3) << ", bars filled " << num(at(m, {"bars_filled"}), 3) << "; key: reference "
      << num(s["reference_key"]) << ", generated " << num(s["generated_key"]) << "</p>\n";
    if (!samples_dir.empty() && s["index"].is_number_integer()) {
      std::string players;
      for (auto [which, label] : {std::pair<const char*, const char*>{"generated", "A: source + generated"},
                                  {"reference", "B: source + reference"}}) {
        const fs::path wav = fs::path(samples_dir) / fmt::format("{:04d}.{}.wav", s["index"].get<int64_t>(), which);
        std::error_code ec;
        if (!fs::is_regular_file(wav, ec)) continue;
        players += fmt::format(R"(<div>{}<br><audio controls preload="metadata" src="{}"></audio></div>)", label,
                               relative_url(wav, out_dir));
      }
      if (!players.empty()) h << "<div class=\"players\">" << players << "</div>\n";
    }
    h << "<div class=\"roll-box\">" << piano_roll_svg(s, tpq) << "</div></section>\n";
  }
}

}  // namespace

std::string render_html(const json& report, const json& page, const std::string& plots_dir, const std::string& out_dir,
                        const std::string& samples_dir) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
       "<link rel=\"icon\" href=\"data:,\"><title>accompanist evaluation</title><style>"
    << kStyle << "</style></head>\n<body>\n<h1>accompanist evaluation</h1>\n";
  h << "<p>Mode <code>" << num(at(report, {"mode"})) << "</code>, git revision <code>"
    << num(at(report, {"git_revision"})) << "</code>, seed " << num(at(report, {"settings", "seed"}))
    << ", corpus <code>" << num(at(report, {"settings", "corpus"})) << "</code> (split "
    << num(at(report, {"settings", "split"})) << ", " << num(at(report, {"settings", "direction"}))
    << "). The numbers are those of report.json; definitions in docs/evaluation.md.</p>\n";
  h << "<nav><a href=\"#summary\">summary</a><a href=\"#harmony\">harmony</a><a href=\"#rhythm\">rhythm</a>"
       "<a href=\"#key\">tonality</a><a href=\"#extras\">extras</a><a href=\"#plots\">plots</a>"
       "<a href=\"#samples\">samples</a></nav>\n";
  summary_tables(h, report);
  plots(h, plots_dir);
  samples(h, report, page, out_dir, samples_dir);
  h << "</body></html>\n";
  return h.str();
}

}  // namespace acc::eval
