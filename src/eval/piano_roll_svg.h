// Inline SVG piano rolls for report.html: the source, generated and reference
// parts of one sample in three lanes on one bar grid, with the chord of each
// source bar above and the root agreement of each bar below.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace acc::eval {

// One entry of Evaluation::page["samples"] (notes as [pitch, start, end]).
std::string piano_roll_svg(const nlohmann::ordered_json& sample, int ticks_per_quarter);

// Text for HTML and SVG: & < > " escaped.
std::string escape_html(const std::string& text);

}  // namespace acc::eval
