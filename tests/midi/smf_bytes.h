// Helpers that spell out Standard MIDI File bytes by hand in tests.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "accompanist/midi/song.h"

namespace acc::midi::testing {

using Bytes = std::vector<uint8_t>;

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes text(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

inline Bytes be32(uint32_t v) {
  return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
}

inline Bytes le32(uint32_t v) {
  return {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
}

// "MThd", length 6, format, track count, division.
inline Bytes header(int format, int tracks, int division) {
  return cat({text("MThd"),
              be32(6),
              {uint8_t(format >> 8), uint8_t(format), uint8_t(tracks >> 8), uint8_t(tracks), uint8_t(division >> 8),
               uint8_t(division)}});
}

// A chunk whose length field is `length` (default: the body's real size).
inline Bytes chunk(const std::string& id, const Bytes& body, int64_t length = -1) {
  return cat({text(id), be32(uint32_t(length < 0 ? body.size() : uint64_t(length))), body});
}

inline Bytes track(const Bytes& events, int64_t length = -1) {
  return chunk("MTrk", events, length);
}

// End-of-Track after `delta` ticks.
inline Bytes eot(uint8_t delta = 0) {
  return {delta, 0xFF, 0x2F, 0x00};
}

// Track-name meta event at delta 0.
inline Bytes name_event(const Bytes& name) {
  return cat({{0x00, 0xFF, 0x03, uint8_t(name.size())}, name});
}

inline Note note(int pitch, int velocity, int64_t start, int64_t end) {
  return Note{pitch, velocity, start, end};
}

}  // namespace acc::midi::testing
