// Writing an evaluation: report.json (atomically), report.md (tables that
// mirror the thesis's Table 2 and Figs. 14-17), plot_data.json, the plots
// drawn by scripts/plot_evaluation.py under plots/, and report.html (after the
// plots, which it embeds). The numbers never depend
// on the plots: when Python, matplotlib or the script is missing or fails,
// a warning is logged and the rest is written.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "accompanist/eval/evaluation.h"

namespace acc::eval {

struct ReportOptions {
  bool plots = true;
  // Empty: $ACCOMPANIST_PYTHON, else /usr/bin/python3 (Debian's, with matplotlib).
  std::string python;
  // Empty: $ACCOMPANIST_SCRIPTS_DIR/plot_evaluation.py, else that of the source tree.
  std::string script;
  // report.html links the A/B mixes NNNN.generated.wav / NNNN.reference.wav
  // found here (the --samples directory; empty: no players).
  std::string samples_dir;
  bool html = true;
};

// The markdown report of a report.json object.
std::string render_markdown(const nlohmann::ordered_json& report);

struct ReportFiles {
  std::string report_json, report_md, plot_data, report_html;
  bool plots_written = false;
  std::string plots_dir;
};

// report.html: one self-contained page (inline SVG piano rolls, the PNG plots
// of plots_dir embedded as base64, no scripts, no network) with relative links
// to the audio mixes in samples_dir that exist. out_dir is where the page will
// lie (links are relative to it).
std::string render_html(const nlohmann::ordered_json& report, const nlohmann::ordered_json& page,
                        const std::string& plots_dir, const std::string& out_dir, const std::string& samples_dir);

// Creates out_dir if needed and writes everything into it. Throws acc::Error
// when a file cannot be written; plotting problems only warn.
ReportFiles write_report(const Evaluation& evaluation, const std::string& out_dir, const ReportOptions& options);

}  // namespace acc::eval
