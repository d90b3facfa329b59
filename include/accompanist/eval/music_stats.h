// Measures beyond the thesis (SPEC section 8), most as defined by MusPy (Dong
// et al. 2020), on plain notes. Each is undefined (nullopt) where it cannot be
// measured (no notes), so averages leave such parts out instead of counting
// them as zero.
#pragma once

#include <optional>
#include <vector>

#include "accompanist/eval/rhythm.h"
#include "accompanist/midi/song.h"

namespace acc::eval {

// Highest minus lowest pitch.
std::optional<double> pitch_range(const std::vector<midi::Note>& notes);

// Shannon entropy in bits of the pitch-class histogram of note counts
// (0 = one pitch class, log2 12 = all equally often).
std::optional<double> pitch_class_entropy(const std::vector<midi::Note>& notes);

// The largest fraction of notes inside one major or natural-minor scale over
// the 12 tonics.
std::optional<double> scale_consistency(const std::vector<midi::Note>& notes);

// Mean number of notes sounding at once, over the time at least one sounds:
// total note length / length of the union of the notes' spans (notes with
// end <= start are left out).
std::optional<double> polyphony(const std::vector<midi::Note>& notes);

// Notes per distinct onset time: 1 for a part that plays one note at a time
// (a bass line), more where notes are stacked (chords).
std::optional<double> notes_per_onset(const std::vector<midi::Note>& notes);

// 1 - mean Hamming distance / 32 of the onset masks of consecutive bars
// (Wu & Yang 2020's grooving pattern similarity at 32 positions a bar).
// Needs two bars.
std::optional<double> groove_consistency(const std::vector<BarMask>& bars);

// Harmonic agreement of two parts: per bar [0, num_bars), the chroma vectors
// (length each pitch class sounds inside the bar) of both parts, compared by
// cosine similarity; the mean over the bars where both parts sound.
std::optional<double> chroma_agreement(const std::vector<midi::Note>& a, const std::vector<midi::Note>& b,
                                       int ticks_per_quarter, int64_t num_bars);

// Mean of the defined values (nullopt when none is).
std::optional<double> mean_defined(const std::vector<std::optional<double>>& values);

}  // namespace acc::eval
