#include "accompanist/audio/wav.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "accompanist/util/error.h"
#include "accompanist/util/file.h"

namespace acc::audio {

namespace {

constexpr uint16_t kFormatPcm = 1, kFormatFloat = 3, kFormatExtensible = 0xFFFE;

uint32_t le32(const std::string& b, size_t at) {
  return uint32_t(uint8_t(b[at])) | uint32_t(uint8_t(b[at + 1])) << 8 | uint32_t(uint8_t(b[at + 2])) << 16 |
         uint32_t(uint8_t(b[at + 3])) << 24;
}
uint16_t le16(const std::string& b, size_t at) {
  return uint16_t(uint8_t(b[at]) | uint8_t(b[at + 1]) << 8);
}
void put32(std::string& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(char(v >> (8 * i) & 0xFF));
}
void put16(std::string& b, uint16_t v) {
  b.push_back(char(v & 0xFF));
  b.push_back(char(v >> 8));
}

}  // namespace

Wav parse_wav(const std::string& b, const std::string& what) {
  ACC_CHECK(b.size() >= 12 && b.compare(0, 4, "RIFF") == 0 && b.compare(8, 4, "WAVE") == 0, what,
            "not a RIFF/WAVE file");
  uint16_t format = 0, channels = 0, bits = 0;
  uint32_t rate = 0;
  bool have_format = false;
  size_t at = 12;
  while (at + 8 <= b.size()) {
    const std::string id = b.substr(at, 4);
    const uint32_t size = le32(b, at + 4);
    const size_t body = at + 8;
    ACC_CHECK(id == "data" || body + size <= b.size(), what, "chunk '" + id + "' runs past the end of the file");
    if (id == "fmt ") {
      ACC_CHECK(size >= 16, what, "fmt chunk is too short");
      format = le16(b, body);
      channels = le16(b, body + 2);
      rate = le32(b, body + 4);
      bits = le16(b, body + 14);
      if (format == kFormatExtensible) {
        ACC_CHECK(size >= 40, what, "extensible fmt chunk is too short");
        format = le16(b, body + 24);  // the sub-format GUID starts with the format tag
      }
      have_format = true;
    } else if (id == "data") {
      ACC_CHECK(have_format, what, "data before the fmt chunk");
      ACC_CHECK(channels >= 1 && rate >= 1, what, "no channels or no sample rate");
      const bool pcm = format == kFormatPcm && (bits == 16 || bits == 24 || bits == 32);
      ACC_CHECK(pcm || (format == kFormatFloat && bits == 32), what,
                "unsupported sample format " + std::to_string(format) + " with " + std::to_string(bits) + " bits");
      // A writer that stopped early may leave a data size past the end: read what is there.
      const size_t bytes = std::min<size_t>(size, b.size() - body);
      const size_t width = bits / 8;
      Wav wav;
      wav.sample_rate = int(rate);
      wav.channels = channels;
      const size_t count = bytes / width / channels * channels;
      wav.samples.resize(count);
      for (size_t i = 0; i < count; ++i) {
        const size_t p = body + i * width;
        float v = 0;
        if (format == kFormatFloat) {
          const uint32_t u = le32(b, p);
          std::memcpy(&v, &u, 4);
        } else if (bits == 16) {
          v = float(int16_t(le16(b, p))) / 32767.0f;  // as written: full scale = 32767
        } else if (bits == 24) {
          const int32_t s = int32_t(uint32_t(uint8_t(b[p])) << 8 | uint32_t(uint8_t(b[p + 1])) << 16 |
                                    uint32_t(uint8_t(b[p + 2])) << 24) >>
                            8;
          v = float(s) / 8388608.0f;
        } else {
          v = float(double(int32_t(le32(b, p))) / 2147483648.0);
        }
        wav.samples[i] = v;
      }
      return wav;
    }
    at = body + size + (size & 1);  // chunks are padded to even sizes
  }
  throw Error(what, "no data chunk");
}

Wav read_wav(const std::string& path) {
  const std::vector<uint8_t> bytes = util::read_file_bytes(path, uint64_t(4) << 30);
  return parse_wav(std::string(bytes.begin(), bytes.end()), path);
}

std::string wav_pcm16_bytes(const Wav& wav) {
  ACC_CHECK(wav.channels >= 1 && wav.sample_rate >= 1, "wav", "no channels or no sample rate");
  const uint32_t data = uint32_t(wav.samples.size() * 2);
  std::string b;
  b.reserve(44 + data);
  b += "RIFF";
  put32(b, 36 + data);
  b += "WAVEfmt ";
  put32(b, 16);
  put16(b, kFormatPcm);
  put16(b, uint16_t(wav.channels));
  put32(b, uint32_t(wav.sample_rate));
  put32(b, uint32_t(wav.sample_rate * wav.channels * 2));
  put16(b, uint16_t(wav.channels * 2));
  put16(b, 16);
  b += "data";
  put32(b, data);
  for (float v : wav.samples) {
    const long s = std::lround(std::clamp(double(v), -1.0, 1.0) * 32767.0);
    put16(b, uint16_t(int16_t(s)));
  }
  return b;
}

void write_wav_pcm16(const Wav& wav, const std::string& path) {
  util::write_file_atomic(path, wav_pcm16_bytes(wav));
}

double peak(const Wav& wav) {
  double p = 0.0;
  for (float v : wav.samples) p = std::max(p, double(std::fabs(v)));
  return p;
}

void normalise_peak(Wav& wav, double target) {
  const double p = peak(wav);
  if (p == 0.0) return;
  const double gain = target / p;
  for (float& v : wav.samples) v = float(double(v) * gain);
}

double rms(const Wav& wav, double from_s, double to_s) {
  const int64_t first = std::max<int64_t>(0, int64_t(from_s * wav.sample_rate));
  const int64_t last = std::min(wav.frames(), int64_t(to_s * wav.sample_rate));
  if (last <= first) return 0.0;
  double sum = 0.0;
  for (int64_t i = first * wav.channels; i < last * wav.channels; ++i)
    sum += double(wav.samples[size_t(i)]) * wav.samples[size_t(i)];
  return std::sqrt(sum / double((last - first) * wav.channels));
}

}  // namespace acc::audio
