// Text of MIDI meta events: bytes in an unknown charset, made valid UTF-8 so
// that names can go into JSON.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace acc::midi {

// True when [data, data + size) is well-formed UTF-8 (no overlong forms,
// no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(const uint8_t* data, size_t size);

// Meta-event text as UTF-8: kept as is when it is valid UTF-8, otherwise read
// as Latin-1 (what mido and most MIDI tools assume). NUL bytes are dropped.
std::string decode_meta_text(const uint8_t* data, size_t size);

}  // namespace acc::midi
