#include "accompanist/generate/output.h"

#include <fmt/format.h>

#include "accompanist/midi/writer.h"

namespace acc::generate {

nlohmann::ordered_json GenerationCounts::to_json() const {
  nlohmann::ordered_json j;
  j["samples"] = samples;
  j["generated_tokens"] = generated_tokens;
  j["primed_tokens"] = primed_tokens;
  j["ended_eos"] = ended_eos;
  j["ended_limit"] = samples - ended_eos;
  j["generated_notes"] = generated_notes;
  j["grammar_errors"] = grammar_errors;
  j["grammar_error_rate"] = grammar_error_rate();
  j["unrepairable"] = unrepairable;
  return j;
}

int family_program(const std::string& family, const midi::FamilyPrograms& families) {
  auto it = families.find(family);
  return it == families.end() || it->second.empty() ? 0 : it->second.front();
}

midi::Song make_output_song(const std::vector<TrackSpec>& tracks, const std::vector<midi::TempoChange>& tempos,
                            const std::vector<midi::TimeSignature>& time_signatures) {
  midi::Song song;
  song.format = 1;
  song.ticks_per_quarter = midi::kOutputTicksPerQuarter;
  song.tempos = tempos;
  song.time_signatures = time_signatures;
  for (size_t i = 0; i < tracks.size(); ++i) {
    midi::Part part;
    part.track = int(i) + 1;
    part.channel = tracks[i].channel;
    part.program = tracks[i].program;
    part.name = tracks[i].name;
    part.notes = tracks[i].notes;
    for (midi::Note& n : part.notes) {
      // Decoded notes always have 1..127 velocities; clamp what a source file may hold.
      n.velocity = std::clamp(n.velocity, 1, 127);
      if (n.end < n.start) n.end = n.start;
    }
    song.parts.push_back(std::move(part));
  }
  return song;
}

std::string sample_line(int64_t index, const tokenizer::TokenSeq& source, const tokenizer::TokenSeq& reference,
                        const tokenizer::TokenSeq& generated, const std::string& tokenizer_sha256) {
  nlohmann::ordered_json j;
  j["index"] = index;
  j["source"] = source;
  j["reference"] = reference;
  j["generated"] = generated;
  j["tokenizer_sha256"] = tokenizer_sha256;
  return j.dump();
}

std::string sample_file_name(int64_t index, const std::string& extension) {
  return fmt::format("{:04d}.{}", index, extension);
}

}  // namespace acc::generate
