// fluidsynth rendering: the WAV is as long as the MIDI (within a tolerance
// for the sound font's release tail), sounds where the MIDI has notes, is
// normalised to its peak, and two mixes that differ in one part differ.
// Skips itself where fluidsynth or the sound font is missing.
#include "accompanist/audio/render.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "accompanist/audio/wav.h"
#include "accompanist/util/error.h"
#include "common/scratch_dir.h"

namespace acc::audio {
namespace {

namespace fs = std::filesystem;
constexpr int kTpq = 384;

// Piano triads in bars 0, 1 and 3 (bar 2 rests) and a bass with `bass_pitches`
// on every beat of those bars; 120 bpm, so a bar is 2 s.
midi::Song song_with_bass(const std::vector<int>& bass_pitches) {
  midi::Song song;
  song.ticks_per_quarter = kTpq;
  midi::Part piano, bass;
  piano.channel = 0;
  piano.program = 0;
  bass.channel = 1;
  bass.program = 33;
  for (int bar : {0, 1, 3}) {
    const int64_t t = int64_t(bar) * 4 * kTpq;
    for (int p : {60, 64, 67}) piano.notes.push_back({p, 90, t, t + 4 * kTpq});
    for (int beat = 0; beat < 4; ++beat)
      bass.notes.push_back(
          {bass_pitches[size_t(beat) % bass_pitches.size()], 100, t + beat * kTpq, t + (beat + 1) * kTpq});
  }
  song.parts = {piano, bass};
  return song;
}

class Render : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = renderer_unavailable(options_);
    if (!why.empty()) GTEST_SKIP() << "render tests skipped: " << why;
    dir_ = acc::testing::scratch_dir("render_test");
  }
  RenderOptions options_;
  fs::path dir_;
};

TEST_F(Render, LengthLoudnessAndMixes) {
  const midi::Song a = song_with_bass({36, 43, 40, 43});
  const midi::Song b = song_with_bass({29, 30, 31, 32});
  const std::string wav_a = (dir_ / "a.wav").string(), wav_b = (dir_ / "b.wav").string();
  render_song(a, wav_a, options_);
  render_song(b, wav_b, options_);
  const Wav ra = read_wav(wav_a), rb = read_wav(wav_b);
  EXPECT_EQ(ra.sample_rate, 44100);
  EXPECT_EQ(ra.channels, 2);
  const double midi_seconds = song_seconds(a);
  EXPECT_DOUBLE_EQ(midi_seconds, 8.0);
  // fluidsynth renders until the last voice has died away: the MIDI plus a release tail.
  EXPECT_GE(ra.seconds(), midi_seconds - 0.1);
  EXPECT_LE(ra.seconds(), midi_seconds + 4.0);  // the piano's release: about 2.8 s here
  // Normalised: the peak is -1 dBFS, nothing clipped.
  EXPECT_NEAR(peak(ra), options_.peak, 2.0 / 32767);
  EXPECT_NEAR(peak(rb), options_.peak, 2.0 / 32767);
  // Sounding wherever the MIDI has notes (every half second of bars 0, 1, 3).
  for (double t : {0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 6.0, 6.5, 7.0, 7.5})
    EXPECT_GT(rms(ra, t, t + 0.5), 0.01) << t;
  // The rest in bar 2 is quieter than the bars around it once the release has decayed.
  EXPECT_LT(rms(ra, 5.0, 6.0), 0.5 * rms(ra, 2.0, 4.0));
  // The two mixes differ.
  ASSERT_EQ(ra.samples.size() > 0, true);
  double diff = 0;
  const size_t n = std::min(ra.samples.size(), rb.samples.size());
  for (size_t i = 0; i < n; ++i) diff += std::abs(double(ra.samples[i]) - rb.samples[i]);
  EXPECT_GT(diff / double(n), 0.005);
  // No temporary files are left next to the output.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) files += e.is_regular_file();
  EXPECT_EQ(files, 2);
}

TEST(RenderUnavailable, SaysWhy) {
  RenderOptions o;
  o.fluidsynth = "/nonexistent/fluidsynth";
  EXPECT_NE(renderer_unavailable(o).find("/nonexistent/fluidsynth"), std::string::npos);
  EXPECT_THROW(render_song(song_with_bass({36}), "/tmp/never.wav", o), acc::Error);
  o = RenderOptions();
  o.soundfont = "/nonexistent/gm.sf2";
  if (access(o.fluidsynth.c_str(), X_OK) == 0) {
    EXPECT_NE(renderer_unavailable(o).find("sound font"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists("/tmp/never.wav"));
}

}  // namespace
}  // namespace acc::audio
