// accompanist tokenize FILE.mid [--tokenizer tokenizer.json]: the REMI (or
// REMI + BPE) ids of every part of a MIDI file as JSON (SPEC section 9).
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <string>

#include "accompanist/command.h"
#include "accompanist/midi/reader.h"
#include "accompanist/tokenizer/tokenizer.h"
#include "accompanist/util/error.h"

namespace {

struct TokenizeOptions {
  std::string path;
  std::string tokenizer;
};

std::function<int()> setup_tokenize(CLI::App& app) {
  auto* cmd = app.add_subcommand("tokenize", "Print the token ids of every part of a MIDI file as JSON");
  auto opts = std::make_shared<TokenizeOptions>();
  cmd->add_option("FILE", opts->path, "MIDI file (.mid, .midi, .rmi)")->required();
  cmd->add_option("--tokenizer", opts->tokenizer, "tokenizer JSON with BPE merges (default: plain REMI ids)");
  return [opts]() {
    // The tokenizer first: a bad one is reported before any MIDI work.
    acc::tokenizer::Tokenizer tokenizer;
    if (!opts->tokenizer.empty()) tokenizer = acc::tokenizer::Tokenizer::load(opts->tokenizer);
    const acc::midi::Song song = acc::midi::read_midi_file(opts->path);
    for (const std::string& warning : song.warnings) spdlog::warn("{}: {}", opts->path, warning);
    if (song.ticks_per_quarter < acc::tokenizer::kMinTicksPerQuarter) {
      throw acc::Error(opts->path, "ticks per quarter " + std::to_string(song.ticks_per_quarter) + " is below " +
                                       std::to_string(acc::tokenizer::kMinTicksPerQuarter) +
                                       ", the smallest resolution REMI tokenizes");
    }
    nlohmann::ordered_json out;
    out["parts"] = nlohmann::ordered_json::array();
    for (const acc::midi::Part& part : song.parts) {
      nlohmann::ordered_json p;
      p["track"] = part.track;
      p["channel"] = part.channel;
      p["program"] = part.program;
      p["tokens"] = tokenizer.encode(part.notes, song.ticks_per_quarter);
      out["parts"].push_back(std::move(p));
    }
    std::cout << out.dump() << "\n";
    std::cout.flush();
    return std::cout ? 0 : 1;
  };
}

}  // namespace

ACC_REGISTER_COMMAND(tokenize, setup_tokenize);
