#include "midi/text.h"

namespace acc::midi {

bool is_valid_utf8(const uint8_t* data, size_t size) {
  size_t i = 0;
  while (i < size) {
    const uint8_t b = data[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    // Well-formed sequences, Unicode Table 3-7: the allowed range of the
    // second byte depends on the first.
    size_t extra = 0;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      extra = 1;
    } else if (b == 0xE0) {
      extra = 2, lo = 0xA0;
    } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
      extra = 2;
    } else if (b == 0xED) {
      extra = 2, hi = 0x9F;
    } else if (b == 0xF0) {
      extra = 3, lo = 0x90;
    } else if (b >= 0xF1 && b <= 0xF3) {
      extra = 3;
    } else if (b == 0xF4) {
      extra = 3, hi = 0x8F;
    } else {
      return false;
    }
    if (size - i <= extra) return false;
    if (data[i + 1] < lo || data[i + 1] > hi) return false;
    for (size_t k = 2; k <= extra; ++k) {
      if (data[i + k] < 0x80 || data[i + k] > 0xBF) return false;
    }
    i += extra + 1;
  }
  return true;
}

std::string decode_meta_text(const uint8_t* data, size_t size) {
  std::string out;
  out.reserve(size);
  if (is_valid_utf8(data, size)) {
    for (size_t i = 0; i < size; ++i) {
      if (data[i] != 0) out.push_back(static_cast<char>(data[i]));
    }
    return out;
  }
  for (size_t i = 0; i < size; ++i) {
    const uint8_t b = data[i];
    if (b == 0) continue;
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
    } else {
      out.push_back(static_cast<char>(0xC0 | (b >> 6)));
      out.push_back(static_cast<char>(0x80 | (b & 0x3F)));
    }
  }
  return out;
}

}  // namespace acc::midi
