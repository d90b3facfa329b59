// WAV files as the renderer writes and the tests read them: RIFF/WAVE with
// 16-, 24- or 32-bit integer PCM or 32-bit float samples (plain or
// WAVE_FORMAT_EXTENSIBLE), held as interleaved floats of nominal range -1..1.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace acc::audio {

struct Wav {
  int sample_rate = 44100;
  int channels = 2;
  std::vector<float> samples;  // interleaved: frame f, channel c at f * channels + c
  int64_t frames() const { return channels > 0 ? int64_t(samples.size()) / channels : 0; }
  double seconds() const { return sample_rate > 0 ? double(frames()) / sample_rate : 0.0; }
};

// Throws acc::Error("<path>", why) for a file that is not such a WAV.
Wav read_wav(const std::string& path);
Wav parse_wav(const std::string& bytes, const std::string& what);

// 16-bit PCM bytes; samples outside -1..1 are clipped (normalise first).
std::string wav_pcm16_bytes(const Wav& wav);
// Written atomically (temporary name, then rename).
void write_wav_pcm16(const Wav& wav, const std::string& path);

// The largest |sample| (0 for silence).
double peak(const Wav& wav);
// Scales every sample so that the peak is `target` (no change for silence).
void normalise_peak(Wav& wav, double target);
// Root mean square over frames in [from_s, to_s), all channels (0 when empty).
double rms(const Wav& wav, double from_s, double to_s);

}  // namespace acc::audio
