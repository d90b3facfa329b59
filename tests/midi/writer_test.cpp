// The SMF writer: exact bytes of a tiny song, and round trips through the
// reader (several resolutions, overlapping same-pitch notes, zero-length notes).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "accompanist/midi/reader.h"
#include "accompanist/midi/writer.h"
#include "accompanist/util/error.h"
#include "midi/smf_bytes.h"

namespace acc::midi {
namespace {

using testing::Bytes;
using ::testing::HasSubstr;
using testing::note;

Part make_part(int channel, int program, std::vector<Note> notes, std::string name = "") {
  Part p;
  p.channel = channel;
  p.program = program;
  p.is_drum = channel == 9;
  p.name = std::move(name);
  p.notes = std::move(notes);
  return p;
}

Song round_trip(const Song& song) {
  const std::string bytes = write_midi_bytes(song);
  return parse_midi(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

std::vector<Note> sorted(std::vector<Note> notes) {
  std::sort(notes.begin(), notes.end(), [](const Note& a, const Note& b) {
    return std::tie(a.start, a.pitch, a.end, a.velocity) < std::tie(b.start, b.pitch, b.end, b.velocity);
  });
  return notes;
}

void expect_same_song(const Song& in, const Song& out) {
  EXPECT_EQ(out.format, 1);
  EXPECT_EQ(out.ticks_per_quarter, in.ticks_per_quarter);
  EXPECT_TRUE(out.warnings.empty());
  ASSERT_EQ(out.parts.size(), in.parts.size());
  for (size_t i = 0; i < in.parts.size(); ++i) {
    EXPECT_EQ(out.parts[i].track, int(i) + 1);
    EXPECT_EQ(out.parts[i].channel, in.parts[i].channel);
    EXPECT_EQ(out.parts[i].program, in.parts[i].program);
    EXPECT_EQ(out.parts[i].is_drum, in.parts[i].channel == 9);
    EXPECT_EQ(out.parts[i].notes, sorted(in.parts[i].notes)) << "part " << i;
  }
  ASSERT_EQ(out.tempos.size(), in.tempos.size());
  for (size_t i = 0; i < in.tempos.size(); ++i) {
    EXPECT_EQ(out.tempos[i].tick, in.tempos[i].tick);
    EXPECT_EQ(out.tempos[i].us_per_quarter, in.tempos[i].us_per_quarter);
  }
  ASSERT_EQ(out.time_signatures.size(), in.time_signatures.size());
  for (size_t i = 0; i < in.time_signatures.size(); ++i) {
    EXPECT_EQ(out.time_signatures[i].tick, in.time_signatures[i].tick);
    EXPECT_EQ(out.time_signatures[i].numerator, in.time_signatures[i].numerator);
    EXPECT_EQ(out.time_signatures[i].denominator, in.time_signatures[i].denominator);
  }
}

TEST(MidiWriter, ExactBytesOfATinySong) {
  Song song;
  song.ticks_per_quarter = 384;
  song.tempos = {{0, 500000}};
  song.time_signatures = {{0, 3, 4}};
  song.parts = {make_part(2, 33, {note(40, 100, 0, 384)}, "Bass")};
  const std::string bytes = write_midi_bytes(song);
  const Bytes expected = testing::cat({
      testing::header(1, 2, 384),
      testing::track({0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20,        // tempo 500000
                      0x00, 0xFF, 0x58, 0x04, 0x03, 0x02, 0x18, 0x08,  // 3/4
                      0x00, 0xFF, 0x2F, 0x00}),
      testing::track({0x00, 0xFF, 0x03, 0x04, 'B', 'a', 's', 's',  // name
                      0x00, 0xC2, 33,                              // program change
                      0x00, 0x92, 40,   100,                       // note-on
                      0x83, 0x00, 0x82, 40,   64,                  // note-off at 384
                      0x00, 0xFF, 0x2F, 0x00}),
  });
  EXPECT_EQ(Bytes(bytes.begin(), bytes.end()), expected);
}

TEST(MidiWriter, RoundTripAtSeveralResolutions) {
  for (int tpq : {1, 96, 384, 480, 960, 32767}) {
    Song song;
    song.ticks_per_quarter = tpq;
    song.tempos = {{0, 600000}, {int64_t(tpq) * 4, 400000}};
    song.time_signatures = {{0, 4, 4}, {int64_t(tpq) * 8, 7, 8}};
    song.parts = {
        make_part(0, 0, {note(60, 100, 0, tpq), note(64, 90, 0, tpq), note(67, 80, tpq, 2 * tpq)}, "Piano"),
        make_part(1, 33, {note(36, 110, 0, 2 * tpq), note(43, 70, 2 * tpq, 3 * tpq)}, "Bass"),
        make_part(9, 0, {note(36, 127, 0, 1), note(42, 64, tpq / 2, tpq / 2 + 1)}, "Drums"),
    };
    SCOPED_TRACE(tpq);
    const Song back = round_trip(song);
    expect_same_song(song, back);
    EXPECT_EQ(back.parts[0].name, "Piano");
    EXPECT_EQ(back.parts[2].name, "Drums");
  }
}

TEST(MidiWriter, OverlappingSamePitchAndZeroLengthNotes) {
  Song song;
  song.ticks_per_quarter = 384;
  // All on pitch 60: overlaps (B starts before A ends), zero-length notes at
  // the start of A, at B's end and alone, equal starts with different ends.
  song.parts = {make_part(0, 0,
                          {note(60, 10, 0, 100), note(60, 11, 0, 0), note(60, 12, 50, 150), note(60, 13, 150, 150),
                           note(60, 14, 150, 200), note(60, 15, 150, 250), note(60, 16, 300, 300),
                           note(60, 17, 300, 300), note(62, 18, 100, 100), note(62, 19, 100, 100)})};
  const Song back = round_trip(song);
  expect_same_song(song, back);
}

TEST(MidiWriter, UnsortedInputComesBackSorted) {
  Song song;
  song.parts = {make_part(3, 5, {note(70, 1, 500, 600), note(50, 2, 0, 10), note(60, 3, 250, 255)})};
  expect_same_song(song, round_trip(song));
}

TEST(MidiWriter, RandomSongsRoundTrip) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 50; ++trial) {
    Song song;
    song.ticks_per_quarter = 1 + int(rng() % 1000);
    const int parts = 1 + int(rng() % 4);
    for (int i = 0; i < parts; ++i) {
      // Per pitch, notes that start later never end earlier (no nesting).
      std::vector<Note> notes;
      for (int pitch = 40; pitch < 44; ++pitch) {
        int64_t start = 0, end = 0;
        for (int k = 0; k < 20; ++k) {
          start += rng() % 3 == 0 ? 0 : rng() % 50;
          end = std::max(end, start) + (rng() % 3 == 0 ? 0 : rng() % 80);
          notes.push_back(note(pitch, 1 + int(rng() % 127), start, end));
        }
      }
      std::shuffle(notes.begin(), notes.end(), rng);
      song.parts.push_back(make_part(int(rng() % 16), int(rng() % 128), notes));
    }
    SCOPED_TRACE(trial);
    expect_same_song(song, round_trip(song));
  }
}

TEST(MidiWriter, NestedSamePitchNotesComeBackWithEndsSwapped) {
  // FIFO pairing cannot express a note inside a longer one of the same pitch:
  // the first note-off (50) ends the first note-on (0).
  Song song;
  song.parts = {make_part(0, 0, {note(60, 100, 0, 100), note(60, 90, 10, 50)})};
  const Song back = round_trip(song);
  ASSERT_EQ(back.parts.size(), 1u);
  EXPECT_EQ(back.parts[0].notes, (std::vector<Note>{note(60, 100, 0, 50), note(60, 90, 10, 100)}));
}

TEST(MidiWriter, LongGapsAreBridged) {
  Song song;
  const int64_t far = (int64_t(1) << 30) + 5;
  song.tempos = {{far, 300000}};
  song.parts = {make_part(
      0, 0, {note(60, 100, 0, 10), note(61, 100, far, far + (int64_t(1) << 29)), note(62, 100, far * 2, far * 2)})};
  expect_same_song(song, round_trip(song));
}

TEST(MidiWriter, DefaultTrackNames) {
  Song song;
  song.parts = {make_part(9, 0, {note(36, 100, 0, 10)}), make_part(0, 33, {note(40, 100, 0, 10)})};
  const Song back = round_trip(song);
  ASSERT_EQ(back.parts.size(), 2u);
  EXPECT_EQ(back.parts[0].name, "drums");
  EXPECT_EQ(back.parts[1].name, "program 33");
}

TEST(MidiWriter, RejectsValuesAMidiFileCannotHold) {
  const auto error_of = [](const Song& song) -> std::string {
    try {
      write_midi_bytes(song);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  Song ok;
  ok.parts = {make_part(0, 0, {note(60, 100, 0, 10)})};
  EXPECT_EQ(error_of(ok), "(no error)");
  Song s = ok;
  s.parts[0].notes[0].velocity = 0;
  EXPECT_THAT(error_of(s), HasSubstr("velocity 0"));
  s = ok;
  s.parts[0].notes[0].pitch = 128;
  EXPECT_THAT(error_of(s), HasSubstr("pitch 128"));
  s = ok;
  s.parts[0].notes[0].end = -1;
  EXPECT_THAT(error_of(s), HasSubstr("note from tick 0 to -1"));
  s = ok;
  s.parts[0].channel = 16;
  EXPECT_THAT(error_of(s), HasSubstr("channel 16"));
  s = ok;
  s.parts[0].program = -1;
  EXPECT_THAT(error_of(s), HasSubstr("program -1"));
  s = ok;
  s.ticks_per_quarter = 0;
  EXPECT_THAT(error_of(s), HasSubstr("ticks per quarter 0"));
  s = ok;
  s.tempos = {{0, 0}};
  EXPECT_THAT(error_of(s), HasSubstr("tempo of 0"));
  s = ok;
  s.time_signatures = {{0, 4, 3}};
  EXPECT_THAT(error_of(s), HasSubstr("time signature 4/3"));
  EXPECT_THAT(error_of(s), HasSubstr("<memory>: "));
}

TEST(MidiWriter, WritesFilesAtomically) {
  const std::filesystem::path dir =
      std::filesystem::path(ACC_BINARY_DIR) / "tests" / ("midi_writer_out_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Song song;
  song.ticks_per_quarter = kOutputTicksPerQuarter;
  song.parts = {make_part(0, 0, {note(60, 100, 0, 10)}, "Piano")};
  const std::string path = (dir / "out.mid").string();
  write_midi_file(song, path);
  expect_same_song(song, read_midi_file(path));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1);
  song.parts[0].notes[0].velocity = 0;
  EXPECT_THROW(write_midi_file(song, (dir / "bad.mid").string()), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.mid"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace acc::midi
