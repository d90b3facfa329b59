// WAV reading and writing, peak normalisation and the song length.
#include "accompanist/audio/wav.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "accompanist/audio/render.h"
#include "accompanist/util/error.h"

namespace acc::audio {
namespace {

Wav sine(double seconds, double amplitude, int rate = 8000) {
  Wav w;
  w.sample_rate = rate;
  w.channels = 2;
  for (int64_t i = 0; i < int64_t(seconds * rate); ++i) {
    const float v = float(amplitude * std::sin(2 * M_PI * 440.0 * double(i) / rate));
    w.samples.push_back(v);
    w.samples.push_back(-v);
  }
  return w;
}

// A float WAV as fluidsynth writes it (extensible header when `extensible`).
std::string float_wav(const std::vector<float>& samples, bool extensible) {
  std::string b;
  auto put32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(char(v >> (8 * i)));
  };
  auto put16 = [&](uint16_t v) {
    b.push_back(char(v));
    b.push_back(char(v >> 8));
  };
  const uint32_t fmt_size = extensible ? 40 : 16;
  b += "RIFF";
  put32(uint32_t(4 + 8 + fmt_size + 8 + 8 + samples.size() * 4));
  b += "WAVEfmt ";
  put32(fmt_size);
  put16(extensible ? 0xFFFE : 3);
  put16(1);
  put32(1000);
  put32(4000);
  put16(4);
  put16(32);
  if (extensible) {
    put16(22);
    put16(32);
    put32(4);
    put16(3);  // sub-format: IEEE float
    b += std::string(14, '\x01');
  }
  b += "LIST";
  put32(0);  // an empty chunk to skip
  b += "data";
  put32(uint32_t(samples.size() * 4));
  for (float v : samples) {
    uint32_t u;
    std::memcpy(&u, &v, 4);
    put32(u);
  }
  return b;
}

TEST(Wav, Pcm16RoundTrip) {
  const Wav w = sine(0.5, 0.7);
  const Wav r = parse_wav(wav_pcm16_bytes(w), "mem");
  EXPECT_EQ(r.sample_rate, 8000);
  EXPECT_EQ(r.channels, 2);
  ASSERT_EQ(r.samples.size(), w.samples.size());
  EXPECT_DOUBLE_EQ(r.seconds(), 0.5);
  for (size_t i = 0; i < w.samples.size(); ++i) EXPECT_NEAR(r.samples[i], w.samples[i], 1.0 / 32767) << i;
}

TEST(Wav, ReadsFloatAndExtensible) {
  const std::vector<float> samples = {0.0f, 1.5f, -2.0f, 0.25f};
  for (bool extensible : {false, true}) {
    const Wav r = parse_wav(float_wav(samples, extensible), "mem");
    EXPECT_EQ(r.sample_rate, 1000);
    EXPECT_EQ(r.channels, 1);
    EXPECT_EQ(r.samples, samples);  // above full scale is kept: float does not clip
  }
}

TEST(Wav, NormalisesThePeakWithoutClipping) {
  Wav loud;
  loud.channels = 1;
  loud.samples = {0.5f, -3.0f, 1.5f};
  normalise_peak(loud, 0.891);
  EXPECT_NEAR(peak(loud), 0.891, 1e-6);
  EXPECT_NEAR(loud.samples[0], 0.5 * 0.891 / 3.0, 1e-6);
  const Wav r = parse_wav(wav_pcm16_bytes(loud), "mem");
  EXPECT_NEAR(peak(r), 0.891, 1.0 / 32767);
  Wav silent;
  silent.samples.assign(10, 0.0f);
  normalise_peak(silent, 0.9);
  EXPECT_EQ(peak(silent), 0.0);
}

TEST(Wav, RmsOverAWindow) {
  const Wav w = sine(1.0, 1.0);
  EXPECT_NEAR(rms(w, 0.0, 1.0), std::sqrt(0.5), 1e-3);
  EXPECT_EQ(rms(w, 2.0, 3.0), 0.0);
}

TEST(Wav, BadFilesGiveErrors) {
  EXPECT_THROW(parse_wav("RIFF1234WAVX", "mem"), acc::Error);
  EXPECT_THROW(parse_wav("", "mem"), acc::Error);
  std::string no_data = wav_pcm16_bytes(sine(0.01, 0.5));
  no_data.resize(36);
  EXPECT_THROW(parse_wav(no_data, "mem"), acc::Error);
  EXPECT_THROW(read_wav("/nonexistent/x.wav"), acc::Error);
  try {
    parse_wav("RIFF1234WAVX", "some.wav");
  } catch (const acc::Error& e) {
    EXPECT_NE(std::string(e.what()).find("some.wav"), std::string::npos);
  }
}

TEST(SongSeconds, FollowsTheTempoMap) {
  midi::Song song;
  song.ticks_per_quarter = 100;
  song.parts.push_back({});
  song.parts[0].notes = {{60, 90, 0, 100}, {62, 90, 300, 800}};  // ends at beat 8
  EXPECT_DOUBLE_EQ(song_seconds(song), 4.0);                     // 120 bpm
  song.tempos = {{0, 1000000}, {400, 250000}};                   // 60 bpm for 4 beats, then 240
  EXPECT_DOUBLE_EQ(song_seconds(song), 4.0 + 1.0);
}

}  // namespace
}  // namespace acc::audio
