// Audio for listening tests (issue 17): a MIDI song rendered with fluidsynth
// and a General MIDI sound font to a 16-bit WAV, normalised to a fixed peak.
// fluidsynth writes 32-bit float samples, so nothing clips before the
// normalisation; the peak is then set to -1 dBFS.
#pragma once

#include <string>

#include "accompanist/midi/song.h"

namespace acc::audio {

struct RenderOptions {
  std::string fluidsynth = "/usr/bin/fluidsynth";
  std::string soundfont = "/usr/share/sounds/sf2/FluidR3_GM.sf2";  // Debian's fluid-soundfont-gm
  int sample_rate = 44100;
  double peak = 0.891;  // -1 dBFS
};

// Why rendering cannot run here ("" when fluidsynth and the sound font exist).
std::string renderer_unavailable(const RenderOptions& options);

// Renders song to wav_path (atomically). Throws acc::Error("<wav_path>", why)
// when the renderer is unavailable or fails.
void render_song(const midi::Song& song, const std::string& wav_path, const RenderOptions& options);

// The song's length in seconds: the end of its last note through the tempo
// map (120 bpm without tempo events).
double song_seconds(const midi::Song& song);

}  // namespace acc::audio
