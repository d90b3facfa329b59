// libFuzzer target: parse_midi on arbitrary bytes must either throw
// acc::Error or return a well-formed Song; a returned Song must survive
// write_midi_bytes -> parse_midi unchanged. Anything else aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <tuple>

#include "accompanist/midi/reader.h"
#include "accompanist/midi/writer.h"
#include "accompanist/util/error.h"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_midi_reader: invariant broken: %s\n", what);
    std::abort();
  }
}

void check_well_formed(const acc::midi::Song& song) {
  check(song.ticks_per_quarter >= 1 && song.ticks_per_quarter <= 0x7FFF, "tpq range");
  check(song.format >= 0 && song.format <= 2, "format range");
  for (size_t i = 0; i < song.parts.size(); ++i) {
    const acc::midi::Part& p = song.parts[i];
    check(!p.notes.empty(), "part without notes");
    check(p.channel >= 0 && p.channel < 16 && p.program >= 0 && p.program < 128, "channel/program range");
    check(p.is_drum == (p.channel == 9), "is_drum");
    if (i > 0) {
      const acc::midi::Part& q = song.parts[i - 1];
      check(std::tie(q.track, q.channel, q.program) < std::tie(p.track, p.channel, p.program), "part order");
    }
    for (size_t k = 0; k < p.notes.size(); ++k) {
      const acc::midi::Note& n = p.notes[k];
      check(n.pitch >= 0 && n.pitch < 128 && n.velocity >= 1 && n.velocity < 128, "note range");
      check(n.start >= 0 && n.end >= n.start, "note times");
      if (k > 0) {
        const acc::midi::Note& m = p.notes[k - 1];
        check(std::tie(m.start, m.pitch, m.end) <= std::tie(n.start, n.pitch, n.end), "note order");
      }
    }
  }
  for (size_t i = 1; i < song.tempos.size(); ++i) check(song.tempos[i - 1].tick <= song.tempos[i].tick, "tempo order");
}

void check_round_trip(const acc::midi::Song& song) {
  if (song.parts.size() >= 0xFFFF) return;  // more tracks than a MIDI file can hold
  const std::string bytes = acc::midi::write_midi_bytes(song);
  const acc::midi::Song back = acc::midi::parse_midi(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  check(back.warnings.empty(), "warnings reading written file");
  check(back.ticks_per_quarter == song.ticks_per_quarter, "round trip tpq");
  check(back.parts.size() == song.parts.size(), "round trip part count");
  for (size_t i = 0; i < song.parts.size(); ++i) {
    const acc::midi::Part& a = song.parts[i];
    const acc::midi::Part& b = back.parts[i];
    check(b.track == int(i) + 1 && b.channel == a.channel && b.program == a.program, "round trip part");
    check(a.name.empty() || a.name == b.name, "round trip name");
    check(b.notes == a.notes, "round trip notes");
  }
  check(back.tempos.size() == song.tempos.size(), "round trip tempo count");
  for (size_t i = 0; i < song.tempos.size(); ++i) {
    check(back.tempos[i].tick == song.tempos[i].tick && back.tempos[i].us_per_quarter == song.tempos[i].us_per_quarter,
          "round trip tempo");
  }
  check(back.time_signatures.size() == song.time_signatures.size(), "round trip time signature count");
  for (size_t i = 0; i < song.time_signatures.size(); ++i) {
    const auto& x = song.time_signatures[i];
    const auto& y = back.time_signatures[i];
    check(x.tick == y.tick && x.numerator == y.numerator && x.denominator == y.denominator,
          "round trip time signature");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  acc::midi::Song song;
  try {
    song = acc::midi::parse_midi(data, size);
  } catch (const acc::Error&) {
    return 0;  // rejected cleanly
  }
  check_well_formed(song);
  check_round_trip(song);
  return 0;
}
