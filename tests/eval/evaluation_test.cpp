// The evaluation of token samples on small hand-made parts whose figures are
// known: a perfect model, a silent one, a broken one.
#include "accompanist/eval/evaluation.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "accompanist/eval/report.h"
#include "accompanist/tokenizer/remi.h"
#include "accompanist/util/error.h"
#include "common/scratch_dir.h"
#include "eval/part_measures.h"
#include "eval/report_json.h"

namespace acc::eval {
namespace {

using tokenizer::TokenSeq;
constexpr int kTpq = 384;

// Four bars of one triad: piano chords on beats 1 and 3; bass arpeggio
// root-third-fifth-root on the four beats (positions 0, 8, 16, 24).
struct Pair {
  TokenSeq source, target;
};

Pair make_pair(int root, bool minor, int bars = 4) {
  const int third = root + (minor ? 3 : 4), fifth = root + 7;
  std::vector<midi::Note> piano, bass;
  for (int b = 0; b < bars; ++b) {
    const int64_t t = int64_t(b) * 4 * kTpq;
    for (int beat : {0, 2})
      for (int p : {root + 24, third + 24, fifth + 24})
        piano.push_back({p, 80, t + beat * kTpq, t + (beat + 2) * kTpq});
    int beat = 0;
    for (int p : {root, third, fifth, root + 12}) {
      bass.push_back({p, 90, t + beat * kTpq, t + (beat + 1) * kTpq});
      ++beat;
    }
  }
  return {tokenizer::encode_remi(piano, kTpq), tokenizer::encode_remi(bass, kTpq)};
}

struct Fixture {
  tokenizer::Tokenizer tok;
  EvaluationInput input;
  EvaluationOptions options;
  Fixture() {
    input.tokenizer = &tok;
    // C major, A minor, A# major: references also form the validation set.
    const std::vector<std::pair<int, bool>> keys = {{36, false}, {45, true}, {34, false}};
    int64_t index = 0;
    for (const auto& [root, minor] : keys) {
      const Pair p = make_pair(root, minor);
      input.samples.push_back({index++, p.source, p.target, p.target, "", 0});
      input.validation.push_back(p.target);
      input.validation_sources.push_back(p.source);
    }
    options.pairs = 20000;
    options.shuffles = 20;
    options.threads = 2;
  }
};

TEST(Evaluation, PerfectModel) {
  Fixture f;
  const auto r = evaluate(f.input, f.options).report;
  EXPECT_EQ(r["samples"], 3);
  EXPECT_EQ(r["decodable"], 3);
  const auto& hist = r["rhythm"]["position_hist"];
  for (const char* set : {"validation", "generated", "mock"}) ASSERT_EQ(hist[set].size(), 32u) << set;
  for (int p = 0; p < 32; ++p) {
    const double expected = p % 8 == 0 ? 1.0 : 0.0;
    EXPECT_DOUBLE_EQ(hist["generated"][size_t(p)].get<double>(), expected) << p;
    EXPECT_DOUBLE_EQ(hist["validation"][size_t(p)].get<double>(), expected) << p;
  }
  EXPECT_DOUBLE_EQ(r["rhythm"]["notes_per_bar"]["generated"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(r["rhythm"]["notes_per_bar"]["validation"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(r["rhythm"]["onsets_per_bar"]["mock"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(r["rhythm"]["levenshtein"]["generated"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(r["rhythm"]["levenshtein"]["pairs"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(r["rhythm"]["levenshtein"]["aligned"].get<double>(), 0.0);
  EXPECT_GT(r["rhythm"]["levenshtein"]["mock"].get<double>(), 2.0);
  EXPECT_EQ(r["rhythm"]["bars"]["generated"], 12);

  ASSERT_EQ(r["key"]["per_sample"].size(), 3u);
  const std::vector<std::string> expected_keys = {"C major", "A minor", "A# major"};
  for (size_t i = 0; i < 3; ++i) {
    const auto& s = r["key"]["per_sample"][i];
    EXPECT_EQ(s["index"], int(i));
    EXPECT_EQ(s["reference_key"], expected_keys[i]);
    ASSERT_EQ(s["generated_keys"].size(), 24u);
    EXPECT_EQ(s["generated_keys"][0], expected_keys[i]);
  }
  for (double v : r["key"]["topk_match"]["generated"].get<std::vector<double>>()) EXPECT_DOUBLE_EQ(v, 1.0);
  ASSERT_EQ(r["key"]["topk_match"]["shuffled"].size(), 24u);
  EXPECT_LT(r["key"]["topk_match"]["shuffled"][0].get<double>(), 1.0);  // three different keys
  EXPECT_DOUBLE_EQ(r["key"]["topk_match"]["shuffled"][23].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(r["empty_bar_rate"]["generated"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(r["grammar_error_rate"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(r["groove_consistency"]["generated"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(r["pitch"]["scale_consistency"]["generated"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(r["pitch"]["range"]["generated"].get<double>(), 12.0);
  EXPECT_DOUBLE_EQ(r["polyphony"]["generated"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(r["notes_per_onset"]["generated"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(r["notes_per_onset"]["reference"].get<double>(), 1.0);
  EXPECT_EQ(r["chroma_agreement"]["generated"], r["chroma_agreement"]["reference"]);
  // Harmony: the bass starts every bar on the root of the piano's triad, all chord tones.
  const auto& h = r["harmony"];
  for (const char* set : {"generated", "reference"}) {
    EXPECT_DOUBLE_EQ(h["root_agreement"][set].get<double>(), 1.0) << set;
    EXPECT_DOUBLE_EQ(h["chord_tone_rate"][set].get<double>(), 1.0) << set;
    EXPECT_DOUBLE_EQ(h["bars_filled"][set].get<double>(), 1.0) << set;
    EXPECT_EQ(h["bars_counted"][set], 12) << set;
  }
  EXPECT_DOUBLE_EQ(h["bars_filled"]["mock"].get<double>(), 1.0);
  EXPECT_LT(h["root_agreement"]["mock"].get<double>(), 1.0);
  EXPECT_LT(h["chord_tone_rate"]["mock"].get<double>(), 1.0);
  EXPECT_LT(h["root_agreement"]["shuffled"].get<double>(), 1.0);  // three different chords
  EXPECT_GT(h["root_agreement"]["shuffled"].get<double>(), 0.0);  // a part meets its own source at times
  EXPECT_EQ(h["bars"], 12);
  EXPECT_EQ(h["chord_bars"], 12);
  ASSERT_EQ(h["per_sample"].size(), 3u);
  EXPECT_EQ(h["per_sample"][2]["index"], 2);
  EXPECT_DOUBLE_EQ(h["per_sample"][2]["root_agreement"].get<double>(), 1.0);
  ASSERT_EQ(h["per_bar"].size(), 3u);
  EXPECT_EQ(h["per_bar"][1]["chords"].dump(), R"(["Am","Am","Am","Am"])");
  EXPECT_EQ(h["per_bar"][2]["chords"][0], "A#");
  EXPECT_EQ(h["per_bar"][0]["generated"].dump(), "[true,true,true,true]");
  // Token histograms: 197 base ids; 4 bars x (Bar + 4 x (Position Pitch Velocity Duration)) x 3.
  EXPECT_EQ(r["token_histograms"]["generated"]["base_counts"].size(), 197u);
  EXPECT_EQ(r["token_histograms"]["generated"]["base_tokens"], 3 * 4 * 17);
  EXPECT_EQ(r["token_histograms"]["generated"]["base_counts"][4], 12);  // Bar_None
}

TEST(Evaluation, SilentModel) {
  Fixture f;
  f.input.samples[0].generated = {};
  f.input.samples[1].generated = {1, 4, 4, 4, 4, 2};  // four empty bars
  f.input.samples[2].generated = {2};
  const auto r = evaluate(f.input, f.options).report;
  EXPECT_EQ(r["decodable"], 0);
  EXPECT_DOUBLE_EQ(r["empty_bar_rate"]["generated"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(r["empty_bar_rate"]["reference"].get<double>(), 0.0);
  // Every validation bar has 4 onsets: 4 substitutions from an empty bar.
  EXPECT_DOUBLE_EQ(r["rhythm"]["levenshtein"]["generated"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(r["rhythm"]["levenshtein"]["mock"].get<double>(), 4.0);  // mock of empty bars is empty
  EXPECT_DOUBLE_EQ(r["rhythm"]["notes_per_bar"]["generated"].get<double>(), 0.0);
  for (double v : r["key"]["topk_match"]["generated"].get<std::vector<double>>()) EXPECT_DOUBLE_EQ(v, 0.0);
  for (double v : r["key"]["topk_match"]["shuffled"].get<std::vector<double>>()) EXPECT_DOUBLE_EQ(v, 0.0);
  EXPECT_TRUE(r["key"]["per_sample"][0]["generated_keys"].empty());
  EXPECT_TRUE(r["pitch"]["range"]["generated"].is_null());
  EXPECT_TRUE(r["chroma_agreement"]["generated"].is_null());
  EXPECT_TRUE(r["harmony"]["root_agreement"]["generated"].is_null());
  EXPECT_TRUE(r["harmony"]["chord_tone_rate"]["generated"].is_null());
  EXPECT_EQ(r["harmony"]["bars_counted"]["generated"], 0);
  EXPECT_DOUBLE_EQ(r["harmony"]["bars_filled"]["generated"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(r["harmony"]["root_agreement"]["reference"].get<double>(), 1.0);
  EXPECT_TRUE(r["harmony"]["per_sample"][0]["root_agreement"].is_null());
  EXPECT_DOUBLE_EQ(r["grammar_error_rate"].get<double>(), 0.0);
}

TEST(Evaluation, GrammarErrorsAreCounted) {
  Fixture f;
  // Bar, Position_0, Pitch Pitch Pitch Velocity Duration, Duration: broken groups.
  const TokenSeq broken = {4, 165, 40, 41, 42, 97, 110, 110};
  f.input.samples[0].generated = broken;
  const auto r = evaluate(f.input, f.options).report;
  const int64_t errors = tokenizer::count_grammar_errors(broken);
  ASSERT_GT(errors, 0);
  const int64_t tokens = int64_t(broken.size()) + 2 * int64_t(f.input.samples[1].generated.size());
  EXPECT_EQ(r["grammar"]["generated_errors"], errors);
  EXPECT_EQ(r["grammar"]["generated_tokens"], tokens);
  EXPECT_DOUBLE_EQ(r["grammar_error_rate"].get<double>(), double(errors) / double(tokens));
  EXPECT_EQ(r["decodable"], 3);  // the last complete group still makes a note
}

TEST(Evaluation, DeterministicInSeedAndThreads) {
  Fixture f;
  f.input.samples[1].generated = f.input.samples[0].generated;  // some variety
  const auto a = evaluate(f.input, f.options).report;
  f.options.threads = 1;
  const auto b = evaluate(f.input, f.options).report;
  EXPECT_EQ(a.dump(), b.dump());
  f.options.seed = 99;
  const auto c = evaluate(f.input, f.options).report;
  EXPECT_NE(a["rhythm"]["levenshtein"]["mock"], c["rhythm"]["levenshtein"]["mock"]);
  EXPECT_EQ(c["settings"]["seed"], 99);
}

TEST(Evaluation, BpeSamplesGiveTheSameFigures) {
  Fixture plain;
  std::vector<TokenSeq> base;
  for (const auto& s : plain.input.samples) {
    base.push_back(s.source);
    base.push_back(s.reference);
  }
  tokenizer::BpeTrainOptions train;
  train.vocab_size = 230;
  Fixture bpe;
  bpe.tok = tokenizer::Tokenizer::train(base, train);
  ASSERT_GT(bpe.tok.vocab_size(), 197u);
  for (auto& s : bpe.input.samples) {
    s.source = bpe.tok.apply_bpe(s.source);
    s.reference = bpe.tok.apply_bpe(s.reference);
    s.generated = s.reference;
  }
  for (auto& v : bpe.input.validation) v = bpe.tok.apply_bpe(v);
  for (auto& v : bpe.input.validation_sources) v = bpe.tok.apply_bpe(v);
  auto a = evaluate(plain.input, plain.options).report;
  auto b = evaluate(bpe.input, bpe.options).report;
  EXPECT_EQ(a["rhythm"].dump(), b["rhythm"].dump());
  EXPECT_EQ(a["key"].dump(), b["key"].dump());
  EXPECT_EQ(b["token_histograms"]["generated"]["bpe_counts"].size(), bpe.tok.vocab_size());
  EXPECT_LT(b["token_histograms"]["generated"]["bpe_tokens"].get<int64_t>(),
            a["token_histograms"]["generated"]["bpe_tokens"].get<int64_t>());
  EXPECT_EQ(b["token_histograms"]["generated"]["base_counts"], a["token_histograms"]["generated"]["base_counts"]);
}

TEST(Evaluation, RejectsEmptyInput) {
  Fixture f;
  f.input.samples.clear();
  EXPECT_THROW(evaluate(f.input, f.options), acc::Error);
  Fixture g;
  g.input.tokenizer = nullptr;
  EXPECT_THROW(evaluate(g.input, g.options), acc::Error);
}

TEST(Evaluation, MarkdownHasTheTables) {
  Fixture f;
  const std::string md = render_markdown(evaluate(f.input, f.options).report);
  EXPECT_NE(md.find("| generated - validation | 0.0000 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| mock - validation |"), std::string::npos);
  EXPECT_NE(md.find("| 24 | 1.0000 |"), std::string::npos);
  EXPECT_NE(md.find("| samples | 3 |"), std::string::npos);
  EXPECT_NE(md.find("## Harmony"), std::string::npos);
  EXPECT_NE(md.find("| root agreement | 1.0000 | 1.0000 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| 0 | C C C C |"), std::string::npos) << md;
}

TEST(Evaluation, HtmlPageIsSelfContained) {
  Fixture f;
  const Evaluation e = evaluate(f.input, f.options);
  ASSERT_EQ(e.page["samples"].size(), 3u);
  EXPECT_EQ(e.page["samples"][1]["chords"].dump(), R"(["Am","Am","Am","Am"])");
  EXPECT_EQ(e.report["harmony"]["per_bar"].size(), 3u);
  const acc::testing::ScratchDir scratch("html_test");
  const std::filesystem::path dir = scratch.path();
  std::filesystem::create_directories(dir / "my samples");
  std::filesystem::create_directories(dir / "out" / "plots");
  std::ofstream(dir / "my samples" / "0001.generated.wav") << "RIFF";
  std::ofstream(dir / "out" / "plots" / "harmony.png") << "\x89PNG\r\n\x1a\n";
  const std::string html = render_html(e.report, e.page, (dir / "out" / "plots").string(), (dir / "out").string(),
                                       (dir / "my samples").string());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);  // nothing from the network
  size_t svgs = 0;
  for (size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1)) ++svgs;
  EXPECT_EQ(svgs, 3u);
  EXPECT_NE(html.find(R"(src="../my%20samples/0001.generated.wav")"), std::string::npos);
  EXPECT_EQ(html.find("0001.reference.wav"), std::string::npos);  // only existing mixes get a player
  EXPECT_EQ(html.find("0000.generated.wav"), std::string::npos);
  EXPECT_NE(html.find("data:image/png;base64,iVBORw0KGgo="), std::string::npos);
  EXPECT_NE(html.find(">Am</text>"), std::string::npos);
  EXPECT_NE(html.find(">A#</text>"), std::string::npos);
  EXPECT_NE(html.find("<td>root agreement</td><td>1.0000</td><td>1.0000</td>"), std::string::npos);
}

// The per-part measures are one table: each is in report.json (every part),
// and is one row of report.md and of report.html with the same label and
// values; the "Beyond the thesis" tables hold nothing else.
TEST(Evaluation, EveryPartMeasureIsInEveryReportWithOneLabel) {
  Fixture f;
  f.input.samples[0].generated = {};  // some values over fewer samples
  f.input.samples[1].generated = f.input.samples[2].generated;
  const Evaluation e = evaluate(f.input, f.options);
  const std::string md = render_markdown(e.report);
  const std::string html = render_html(e.report, e.page, "", ".", "");
  ASSERT_GE(part_measures().size(), 7u);
  std::set<std::string> labels, keys;
  size_t rows = 0;
  for (const PartMeasure& m : part_measures()) {
    const std::string label = m.row_label();
    SCOPED_TRACE(label);
    EXPECT_TRUE(labels.insert(m.label).second) << "two measures with one label";
    std::string key;
    for (const std::string& k : m.key) key += (key.empty() ? "" : ".") + k;
    EXPECT_TRUE(keys.insert(key).second) << "two measures at " << key;
    const nlohmann::ordered_json& node = measure_in(e.report, m);
    ASSERT_TRUE(node.is_object()) << key << " is not in report.json";
    ASSERT_EQ(node.size(), m.parts.size()) << node.dump();
    for (Part part : m.parts) EXPECT_TRUE(node.contains(part_name(part))) << node.dump();
    ASSERT_TRUE(node.contains("reference") && node.contains("generated")) << node.dump();
    const std::string reference = detail::num(node["reference"]), generated = detail::num(node["generated"]);
    EXPECT_NE(md.find("\n| " + label + " | " + reference + " | " + generated + " |\n"), std::string::npos) << md;
    EXPECT_NE(html.find("<tr><td>" + label + "</td><td>" + reference + "</td><td>" + generated + "</td></tr>"),
              std::string::npos)
        << html;
    rows += m.section == ReportSection::BeyondTheThesis;
  }
  // No other rows in the sections (no label kept by hand next to the table).
  const size_t md_start = md.find("## Beyond the thesis"), md_end = md.find("\n## ", md_start);
  ASSERT_NE(md_start, std::string::npos);
  const std::string md_section = md.substr(md_start, md_end - md_start);
  EXPECT_EQ(size_t(std::count(md_section.begin(), md_section.end(), '\n')), rows + 4) << md_section;
  const size_t html_start = html.find("<h2 id=\"extras\">"), html_end = html.find("</table>", html_start);
  ASSERT_NE(html_start, std::string::npos);
  const std::string html_section = html.substr(html_start, html_end - html_start);
  size_t html_rows = 0;
  for (size_t at = html_section.find("<tr><td>"); at != std::string::npos; at = html_section.find("<tr><td>", at + 1))
    ++html_rows;
  EXPECT_EQ(html_rows, rows) << html_section;
}

}  // namespace
}  // namespace acc::eval
