// accompanist inspect FILE.mid: the parts and notes of a MIDI file as JSON
// (SPEC section 9); tolerated problems are logged as warnings on stderr.
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <string>

#include "accompanist/command.h"
#include "accompanist/midi/reader.h"

namespace {

std::function<int()> setup_inspect(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", "Print the parts and notes of a MIDI file as JSON");
  auto path = std::make_shared<std::string>();
  cmd->add_option("FILE", *path, "MIDI file (.mid, .midi, .rmi)")->required();
  return [path]() {
    const acc::midi::Song song = acc::midi::read_midi_file(*path);
    for (const std::string& warning : song.warnings) spdlog::warn("{}: {}", *path, warning);

    nlohmann::ordered_json out;
    out["format"] = song.format;
    out["ticks_per_quarter"] = song.ticks_per_quarter;
    out["parts"] = nlohmann::ordered_json::array();
    for (const acc::midi::Part& part : song.parts) {
      nlohmann::ordered_json p;
      p["track"] = part.track;
      p["channel"] = part.channel;
      p["program"] = part.program;
      p["is_drum"] = part.is_drum;
      p["name"] = part.name;
      auto notes = nlohmann::ordered_json::array();
      for (const acc::midi::Note& n : part.notes) notes.push_back({n.pitch, n.velocity, n.start, n.end});
      p["notes"] = std::move(notes);
      out["parts"].push_back(std::move(p));
    }
    // The reader makes names valid UTF-8; replacing is a second line of defence.
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    std::cout.flush();
    return std::cout ? 0 : 1;
  };
}

}  // namespace

ACC_REGISTER_COMMAND(inspect, setup_inspect);
