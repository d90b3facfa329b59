#include "accompanist/midi/reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <tuple>
#include <vector>

#include "accompanist/util/error.h"
#include "accompanist/util/file.h"
#include "midi/text.h"

namespace acc::midi {
namespace {

// Distinct warnings kept per file; hostile input could otherwise produce one
// per byte.
constexpr size_t kMaxWarnings = 64;
// Largest time-signature denominator exponent accepted (2^10 = 1024).
constexpr int kMaxTimeSignaturePower = 10;

uint32_t be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}
uint32_t le32(const uint8_t* p) {
  return (uint32_t(p[3]) << 24) | (uint32_t(p[2]) << 16) | (uint32_t(p[1]) << 8) | uint32_t(p[0]);
}
uint16_t be16(const uint8_t* p) {
  return uint16_t((p[0] << 8) | p[1]);
}

bool is_chunk_id(const uint8_t* p) {
  for (int i = 0; i < 4; ++i) {
    if (p[i] < 0x20 || p[i] > 0x7E) return false;
  }
  return true;
}

std::string chunk_name(const uint8_t* p) {
  return std::string(reinterpret_cast<const char*>(p), 4);
}

// A variable-length quantity of at most 4 bytes (the SMF maximum, 0x0FFFFFFF):
// false when it is truncated or longer, which bounds every delta and length.
bool read_vlq(const uint8_t* p, size_t n, size_t& pos, uint32_t& value) {
  value = 0;
  for (int i = 0; i < 4; ++i) {
    if (pos >= n) return false;
    const uint8_t b = p[pos++];
    value = (value << 7) | (b & 0x7F);
    if (!(b & 0x80)) return true;
  }
  return false;
}

struct OpenNote {
  int64_t start;
  int velocity;
  int program;
};

// FIFO queues of sounding notes per (channel, pitch) of the current track.
class OpenNotes {
 public:
  OpenNotes() : queues_(kKeys), heads_(kKeys, 0), touched_(kKeys, false) {}

  void push(int channel, int pitch, const OpenNote& note) {
    const int k = channel * 128 + pitch;
    if (!touched_[k]) {
      touched_[k] = true;
      touched_list_.push_back(k);
    }
    queues_[k].push_back(note);
  }

  // Takes the earliest open note of (channel, pitch); false when none is open.
  bool pop(int channel, int pitch, OpenNote& out) {
    const int k = channel * 128 + pitch;
    if (heads_[k] == queues_[k].size()) return false;
    out = queues_[k][heads_[k]++];
    if (heads_[k] == queues_[k].size()) {
      queues_[k].clear();
      heads_[k] = 0;
    }
    return true;
  }

  // Calls fn(channel, pitch, note) for every open note, then empties all queues.
  template <class Fn>
  void drain(Fn&& fn) {
    for (int k : touched_list_) {
      for (size_t i = heads_[k]; i < queues_[k].size(); ++i) fn(k / 128, k % 128, queues_[k][i]);
      queues_[k].clear();
      heads_[k] = 0;
      touched_[k] = false;
    }
    touched_list_.clear();
  }

 private:
  static constexpr int kKeys = 16 * 128;
  std::vector<std::vector<OpenNote>> queues_;
  std::vector<size_t> heads_;
  std::vector<bool> touched_;
  std::vector<int> touched_list_;
};

// Where reading one MTrk chunk stands, and what it has counted.
struct Track {
  Track(const uint8_t* bytes, size_t size, int track) : p(bytes), n(size), index(track) {}

  const uint8_t* p;
  size_t n;
  int index;
  size_t pos = 0;
  int64_t tick = 0;
  int64_t end_tick = 0;  // tick of the last complete event
  uint8_t running = 0;   // running status: the last channel status byte
  std::array<int, 16> program{};
  std::string name;
  bool named = false;
  bool ended = false;  // by an End-of-Track event
  size_t stray_bytes = 0, resyncs = 0, system_messages = 0;
};

// What the track loop does after an event.
enum class Next {
  Delta,     // read the next delta time
  SameTick,  // the byte at pos starts another event at the same tick (no delta before it)
  Stop,      // the track ends (End-of-Track, or truncated)
};

class SmfParser {
 public:
  SmfParser(const uint8_t* data, size_t size, const std::string& what) : data_(data), size_(size), what_(what) {}

  Song parse();

 private:
  void fail(const std::string& why) const { throw Error(what_, why); }
  void warn(std::string message) {
    if (song_.warnings.size() < kMaxWarnings) {
      song_.warnings.push_back(std::move(message));
    } else {
      ++dropped_warnings_;
    }
  }
  void unwrap_riff(size_t& begin, size_t& end);
  void parse_track(const uint8_t* p, size_t n, int track);
  Next read_event(Track& t, bool delta);
  Next read_meta(Track& t);
  Next read_sysex(Track& t);
  Next skip_system_message(Track& t, uint8_t status);
  Next read_channel_message(Track& t, uint8_t status);
  void truncated(const Track& t, const char* what) { warn(fmt::format("track {}: {} truncated", t.index, what)); }
  void finish_track(Track& t);
  void handle_meta(Track& t, uint8_t type, const uint8_t* d, size_t len);
  void note_on(int track, int channel, int pitch, int velocity, int program, int64_t tick);
  void note_off(int track, int channel, int pitch, int64_t tick);
  void add_note(int track, int channel, int pitch, const OpenNote& open, int64_t end);

  const uint8_t* data_;
  size_t size_;
  const std::string& what_;
  Song song_;
  size_t dropped_warnings_ = 0;
  size_t note_count_ = 0;
  OpenNotes open_;
  std::map<std::tuple<int, int, int>, Part> parts_;  // (track, channel, program)
};

// RIFF RMID: "RIFF" <size LE> "RMID", then sub-chunks; the SMF is in "data".
void SmfParser::unwrap_riff(size_t& begin, size_t& end) {
  if (size_ < 12 || std::string(reinterpret_cast<const char*>(data_ + 8), 4) != "RMID") {
    fail("RIFF file is not a RIFF MIDI (RMID) file");
  }
  size_t pos = 12;
  while (end - pos >= 8) {
    const std::string id = chunk_name(data_ + pos);
    const uint64_t len = le32(data_ + pos + 4);
    const size_t avail = end - pos - 8;
    if (id == "data") {
      begin = pos + 8;
      if (len > avail) {
        warn(fmt::format("RIFF data chunk length {} runs past the end of the file ({} bytes); truncated", len, avail));
      } else {
        end = begin + len;
      }
      return;
    }
    if (len > avail) break;
    pos = std::min<uint64_t>(end, pos + 8 + len + (len & 1));  // RIFF chunks are padded to even sizes
  }
  fail("RIFF MIDI file without a data chunk");
}

Song SmfParser::parse() {
  if (size_ > kMaxMidiFileBytes) fail(fmt::format("file larger than {} bytes", kMaxMidiFileBytes));
  if (size_ == 0) fail("empty file");
  size_t begin = 0, end = size_;
  if (size_ >= 4 && std::string(reinterpret_cast<const char*>(data_), 4) == "RIFF") unwrap_riff(begin, end);
  const uint8_t* p = data_ + begin;
  const size_t n = end - begin;
  if (n < 4 || std::string(reinterpret_cast<const char*>(p), 4) != "MThd") {
    fail("not a MIDI file (no MThd header)");
  }
  if (n < 14) fail("truncated MThd header");
  const uint32_t header_len = be32(p + 4);
  if (header_len < 6) fail(fmt::format("MThd header chunk too short ({} bytes)", header_len));
  if (header_len > n - 8) fail(fmt::format("MThd header length {} runs past the end of the file", header_len));
  const int format = be16(p + 8);
  const int declared_tracks = be16(p + 10);
  const uint16_t division = be16(p + 12);
  if (format > 2) fail(fmt::format("unsupported SMF format {}", format));
  if (division & 0x8000) fail("SMPTE time division is not supported (only ticks per quarter note)");
  if (division == 0) fail("ticks per quarter note is 0");
  song_.format = format;
  song_.ticks_per_quarter = division;

  int tracks = 0;
  size_t pos = 8 + size_t(header_len);
  while (pos < n) {
    if (n - pos < 8 || !is_chunk_id(p + pos)) {
      warn(fmt::format("{} bytes of trailing data after the last chunk ignored", n - pos));
      break;
    }
    const std::string id = chunk_name(p + pos);
    size_t len = be32(p + pos + 4);
    const size_t avail = n - pos - 8;
    if (len > avail) {
      warn(
          fmt::format("chunk '{}' length {} runs past the end of the file ({} bytes left); truncated", id, len, avail));
      len = avail;
    }
    if (id == "MTrk") {
      parse_track(p + pos + 8, len, tracks++);
    } else {
      warn(fmt::format("unknown chunk '{}' ({} bytes) skipped", id, len));
    }
    pos += 8 + len;
  }
  if (tracks == 0) fail("no track (MTrk) chunk");
  if (tracks != declared_tracks) {
    warn(fmt::format("header declares {} tracks, the file has {}", declared_tracks, tracks));
  }

  for (auto& entry : parts_) {
    Part& part = entry.second;
    std::sort(part.notes.begin(), part.notes.end(), [](const Note& a, const Note& b) {
      return std::tie(a.start, a.pitch, a.end, a.velocity) < std::tie(b.start, b.pitch, b.end, b.velocity);
    });
    song_.parts.push_back(std::move(part));
  }
  // Tracks were read in order, so a stable sort keeps the file's order at equal ticks.
  std::stable_sort(song_.tempos.begin(), song_.tempos.end(),
                   [](const TempoChange& a, const TempoChange& b) { return a.tick < b.tick; });
  std::stable_sort(song_.time_signatures.begin(), song_.time_signatures.end(),
                   [](const TimeSignature& a, const TimeSignature& b) { return a.tick < b.tick; });
  if (dropped_warnings_ > 0) song_.warnings.push_back(fmt::format("{} more warnings not shown", dropped_warnings_));
  return std::move(song_);
}

void SmfParser::parse_track(const uint8_t* p, size_t n, int track) {
  Track t(p, n, track);
  Next next = Next::Delta;
  while (next != Next::Stop) next = read_event(t, next == Next::Delta);
  finish_track(t);
}

// One event: its delta time (unless it is read at the tick of a dropped
// message), its status byte or the running status, then the event by kind.
Next SmfParser::read_event(Track& t, bool delta) {
  if (delta) {
    if (t.pos >= t.n) return Next::Stop;
    uint32_t ticks = 0;
    if (!read_vlq(t.p, t.n, t.pos, ticks)) {
      warn(fmt::format("track {}: invalid or truncated delta time", t.index));
      return Next::Stop;
    }
    t.tick += ticks;
  }
  if (t.pos >= t.n) {
    truncated(t, "event");
    return Next::Stop;
  }
  uint8_t status = t.p[t.pos];
  if (status >= 0x80) {
    ++t.pos;
  } else if (t.running != 0) {  // running status: the byte is the message's first data byte
    status = t.running;
  } else {  // a data byte with no status to apply it to
    ++t.stray_bytes;
    ++t.pos;
    return Next::SameTick;
  }
  if (status == 0xFF) return read_meta(t);
  if (status == 0xF0 || status == 0xF7) return read_sysex(t);
  if (status > 0xF0) return skip_system_message(t, status);
  return read_channel_message(t, status);
}

// A meta event; running status survives it.
Next SmfParser::read_meta(Track& t) {
  if (t.pos >= t.n) {
    truncated(t, "meta event");
    return Next::Stop;
  }
  const uint8_t type = t.p[t.pos++];
  uint32_t len = 0;
  if (!read_vlq(t.p, t.n, t.pos, len) || len > t.n - t.pos) {
    truncated(t, "meta event");
    return Next::Stop;
  }
  const uint8_t* d = t.p + t.pos;
  t.pos += len;
  t.end_tick = t.tick;
  if (type == 0x2F) {
    t.ended = true;
    return Next::Stop;
  }
  handle_meta(t, type, d, len);
  return Next::Delta;
}

// A sysex event (skipped); running status survives it.
Next SmfParser::read_sysex(Track& t) {
  uint32_t len = 0;
  if (!read_vlq(t.p, t.n, t.pos, len) || len > t.n - t.pos) {
    truncated(t, "sysex event");
    return Next::Stop;
  }
  t.pos += len;
  t.end_tick = t.tick;
  return Next::Delta;
}

// System common / real-time bytes do not belong in a file: skip their data.
Next SmfParser::skip_system_message(Track& t, uint8_t status) {
  const int data_bytes = status == 0xF2 ? 2 : (status == 0xF1 || status == 0xF3) ? 1 : 0;
  for (int i = 0; i < data_bytes && t.pos < t.n && t.p[t.pos] < 0x80; ++i) ++t.pos;
  ++t.system_messages;
  return Next::Delta;
}

// A channel message: notes on and off, program changes; the rest is skipped.
Next SmfParser::read_channel_message(Track& t, uint8_t status) {
  t.running = status;
  const int kind = status & 0xF0;
  const int channel = status & 0x0F;
  const int count = (kind == 0xC0 || kind == 0xD0) ? 1 : 2;
  uint8_t d[2] = {0, 0};
  for (int i = 0; i < count; ++i) {
    if (t.pos >= t.n) {
      truncated(t, "channel message");
      return Next::Stop;
    }
    if (t.p[t.pos] >= 0x80) {  // drop the message; the byte starts the next event at the same tick
      ++t.resyncs;
      return Next::SameTick;
    }
    d[i] = t.p[t.pos++];
  }
  t.end_tick = t.tick;
  if (kind == 0x90 && d[1] > 0) {
    note_on(t.index, channel, d[0], d[1], t.program[channel], t.tick);
  } else if (kind == 0x80 || kind == 0x90) {
    note_off(t.index, channel, d[0], t.tick);
  } else if (kind == 0xC0) {
    t.program[channel] = d[0];
  }
  return Next::Delta;
}

// The track's warnings; notes still open end at its last complete event; its
// first name names its parts.
void SmfParser::finish_track(Track& t) {
  if (!t.ended) warn(fmt::format("track {}: no End-of-Track event", t.index));
  if (t.stray_bytes > 0) {
    warn(fmt::format("track {}: {} data bytes without a status byte skipped", t.index, t.stray_bytes));
  }
  if (t.resyncs > 0) {
    warn(fmt::format("track {}: {} channel messages cut short by a byte >= 0x80 dropped (resynced)", t.index,
                     t.resyncs));
  }
  if (t.system_messages > 0) {
    warn(fmt::format("track {}: {} system common/real-time messages skipped", t.index, t.system_messages));
  }
  open_.drain(
      [&](int channel, int pitch, const OpenNote& note) { add_note(t.index, channel, pitch, note, t.end_tick); });
  if (t.named) {
    for (auto it = parts_.lower_bound({t.index, 0, 0}); it != parts_.end() && std::get<0>(it->first) == t.index; ++it) {
      it->second.name = t.name;
    }
  }
}

void SmfParser::handle_meta(Track& t, uint8_t type, const uint8_t* d, size_t len) {
  if (type == 0x03) {  // track name: the first one names the track's parts
    if (!t.named) {
      t.name = decode_meta_text(d, len);
      t.named = true;
    }
  } else if (type == 0x51) {
    const int us = len >= 3 ? (d[0] << 16) | (d[1] << 8) | d[2] : 0;
    if (us <= 0) {
      warn(fmt::format("track {}: invalid tempo event at tick {} ignored", t.index, t.tick));
    } else {
      song_.tempos.push_back({t.tick, us});
    }
  } else if (type == 0x58) {
    if (len < 2 || d[0] == 0 || d[1] > kMaxTimeSignaturePower) {
      warn(fmt::format("track {}: invalid time signature at tick {} ignored", t.index, t.tick));
    } else {
      song_.time_signatures.push_back({t.tick, d[0], 1 << d[1]});
    }
  }
}

void SmfParser::note_on(int track, int channel, int pitch, int velocity, int program, int64_t tick) {
  if (++note_count_ > kMaxMidiNotes) fail(fmt::format("more than {} notes", kMaxMidiNotes));
  open_.push(channel, pitch, {tick, velocity, program});
}

void SmfParser::note_off(int track, int channel, int pitch, int64_t tick) {
  OpenNote open;
  if (open_.pop(channel, pitch, open)) add_note(track, channel, pitch, open, tick);
}

void SmfParser::add_note(int track, int channel, int pitch, const OpenNote& open, int64_t end) {
  const auto key = std::make_tuple(track, channel, open.program);
  auto it = parts_.find(key);
  if (it == parts_.end()) {
    Part part;
    part.track = track;
    part.channel = channel;
    part.program = open.program;
    part.is_drum = channel == 9;
    it = parts_.emplace(key, std::move(part)).first;
  }
  it->second.notes.push_back({pitch, open.velocity, open.start, end});
}

}  // namespace

Song parse_midi(const uint8_t* data, size_t size, const std::string& what) {
  return SmfParser(data, size, what).parse();
}

Song parse_midi(const uint8_t* data, size_t size) {
  return parse_midi(data, size, "<memory>");
}

Song read_midi_file(const std::string& path) {
  const std::vector<uint8_t> bytes = util::read_file_bytes(path, kMaxMidiFileBytes);
  return parse_midi(bytes.data(), bytes.size(), path);
}

}  // namespace acc::midi
