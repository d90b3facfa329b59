#include "accompanist/midi/writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>
#include <vector>

#include "accompanist/util/error.h"
#include "accompanist/util/file.h"

namespace acc::midi {
namespace {

constexpr uint32_t kMaxDelta = 0x0FFFFFFF;  // largest 4-byte variable-length quantity

// One event of a track; sorted by (tick, order, seq, sub).
struct Event {
  int64_t tick;
  int order;   // at equal ticks: 0 = note-offs of earlier notes, 1 = zero-length notes, 2 = note-ons, ...
  size_t seq;  // position of the note (or meta event) in its sorted list
  int sub;     // 0 = note-on, 1 = note-off of the same zero-length note
  std::string bytes;
};

void put_vlq(std::string& out, uint32_t v) {
  char buf[4];
  int n = 0;
  buf[n++] = char(v & 0x7F);
  while (v >>= 7) buf[n++] = char(0x80 | (v & 0x7F));
  while (n > 0) out.push_back(buf[--n]);
}

void put_be(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(char((v >> (8 * i)) & 0xFF));
}

std::string meta(uint8_t type, const std::string& payload) {
  std::string out;
  out.push_back(char(0xFF));
  out.push_back(char(type));
  put_vlq(out, uint32_t(payload.size()));
  out += payload;
  return out;
}

// Sorts the events, encodes them with delta times and End-of-Track, and wraps
// them in an MTrk chunk.
std::string track_chunk(std::vector<Event>& events, const std::string& what) {
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return std::tie(a.tick, a.order, a.seq, a.sub) < std::tie(b.tick, b.order, b.seq, b.sub);
  });
  std::string body;
  int64_t now = 0;
  const auto advance_to = [&](int64_t tick) {
    // Gaps longer than one delta can hold are bridged with empty text events.
    while (tick - now > int64_t(kMaxDelta)) {
      put_vlq(body, kMaxDelta);
      body += meta(0x01, "");
      now += kMaxDelta;
    }
    put_vlq(body, uint32_t(tick - now));
    now = tick;
  };
  for (const Event& e : events) {
    advance_to(e.tick);
    body += e.bytes;
  }
  advance_to(now);
  body += meta(0x2F, "");
  if (body.size() > 0xFFFFFFFFull) throw Error(what, "track longer than 4 GiB");
  std::string chunk = "MTrk";
  put_be(chunk, body.size(), 4);
  return chunk + body;
}

std::string conductor_track(const Song& song, const std::string& what) {
  std::vector<Event> events;
  for (size_t i = 0; i < song.tempos.size(); ++i) {
    const TempoChange& t = song.tempos[i];
    if (t.tick < 0) throw Error(what, fmt::format("tempo change at negative tick {}", t.tick));
    if (t.us_per_quarter <= 0 || t.us_per_quarter > 0xFFFFFF) {
      throw Error(what, fmt::format("tempo of {} us per quarter does not fit a MIDI file", t.us_per_quarter));
    }
    std::string payload;
    put_be(payload, uint32_t(t.us_per_quarter), 3);
    events.push_back({t.tick, 0, i, 0, meta(0x51, payload)});
  }
  for (size_t i = 0; i < song.time_signatures.size(); ++i) {
    const TimeSignature& ts = song.time_signatures[i];
    if (ts.tick < 0) throw Error(what, fmt::format("time signature at negative tick {}", ts.tick));
    int power = 0;
    while (power < 30 && (1 << power) < ts.denominator) ++power;
    if (ts.numerator < 1 || ts.numerator > 255 || ts.denominator < 1 || (1 << power) != ts.denominator) {
      throw Error(what, fmt::format("time signature {}/{} does not fit a MIDI file", ts.numerator, ts.denominator));
    }
    // 24 MIDI clocks per metronome click, 8 thirty-seconds per quarter: the usual values.
    const std::string payload{char(ts.numerator), char(power), char(24), char(8)};
    events.push_back({ts.tick, 1, i, 0, meta(0x58, payload)});
  }
  return track_chunk(events, what);
}

std::string part_track(const Part& part, size_t index, const std::string& what) {
  const auto bad = [&](const std::string& why) { return Error(what, fmt::format("part {}: {}", index, why)); };
  if (part.channel < 0 || part.channel > 15) throw bad(fmt::format("channel {} outside 0..15", part.channel));
  if (part.program < 0 || part.program > 127) throw bad(fmt::format("program {} outside 0..127", part.program));
  std::vector<Note> notes = part.notes;
  for (const Note& n : notes) {
    if (n.pitch < 0 || n.pitch > 127) throw bad(fmt::format("pitch {} outside 0..127", n.pitch));
    if (n.velocity < 1 || n.velocity > 127) throw bad(fmt::format("velocity {} outside 1..127", n.velocity));
    if (n.start < 0 || n.end < n.start) throw bad(fmt::format("note from tick {} to {}", n.start, n.end));
  }
  // Per pitch, (start, end) order is the order in which FIFO pairing on
  // reading matches note-offs to note-ons.
  std::sort(notes.begin(), notes.end(), [](const Note& a, const Note& b) {
    return std::tie(a.start, a.end, a.pitch, a.velocity) < std::tie(b.start, b.end, b.pitch, b.velocity);
  });

  const std::string name = !part.name.empty()  ? part.name
                           : part.channel == 9 ? std::string("drums")
                                               : fmt::format("program {}", part.program);
  std::vector<Event> events;
  events.push_back({0, -2, 0, 0, meta(0x03, name)});
  events.push_back({0, -1, 0, 0, std::string{char(0xC0 | part.channel), char(part.program)}});
  const char on = char(0x90 | part.channel);
  const char off = char(0x80 | part.channel);
  for (size_t i = 0; i < notes.size(); ++i) {
    const Note& n = notes[i];
    const std::string on_bytes{on, char(n.pitch), char(n.velocity)};
    const std::string off_bytes{off, char(n.pitch), char(64)};
    if (n.start == n.end) {
      // On then off, after the offs of earlier notes and before longer notes
      // start at this tick, so that the off pairs with this very note.
      events.push_back({n.start, 1, i, 0, on_bytes});
      events.push_back({n.start, 1, i, 1, off_bytes});
    } else {
      events.push_back({n.start, 2, i, 0, on_bytes});
      events.push_back({n.end, 0, i, 0, off_bytes});
    }
  }
  return track_chunk(events, what);
}

std::string encode(const Song& song, const std::string& what) {
  if (song.ticks_per_quarter < 1 || song.ticks_per_quarter > 0x7FFF) {
    throw Error(what, fmt::format("ticks per quarter {} outside 1..32767", song.ticks_per_quarter));
  }
  if (song.parts.size() + 1 > 0xFFFF) throw Error(what, fmt::format("too many parts ({})", song.parts.size()));
  std::string out = "MThd";
  put_be(out, 6, 4);
  put_be(out, 1, 2);
  put_be(out, song.parts.size() + 1, 2);
  put_be(out, uint32_t(song.ticks_per_quarter), 2);
  out += conductor_track(song, what);
  for (size_t i = 0; i < song.parts.size(); ++i) out += part_track(song.parts[i], i, what);
  return out;
}

}  // namespace

std::string write_midi_bytes(const Song& song) {
  return encode(song, "<memory>");
}

void write_midi_file(const Song& song, const std::string& path) {
  util::write_file_atomic(path, encode(song, path));
}

}  // namespace acc::midi
