// The SMF reader on hand-made byte sequences: one test per rule of SPEC
// section 2, each asserting the exact notes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "accompanist/midi/reader.h"
#include "accompanist/util/error.h"
#include "midi/smf_bytes.h"
#include "midi/text.h"

namespace acc::midi {
namespace {

using testing::Bytes;
using testing::cat;
using testing::eot;
using ::testing::HasSubstr;
using testing::header;
using testing::note;
using testing::text;
using testing::track;

Song parse(const Bytes& b) {
  return parse_midi(b.data(), b.size());
}

std::string parse_error(const Bytes& b) {
  try {
    parse(b);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

bool has_warning(const Song& song, const std::string& fragment) {
  for (const auto& w : song.warnings) {
    if (w.find(fragment) != std::string::npos) return true;
  }
  return false;
}

// Two notes on channel 0: C4 [0, 96), E4 [96, 192), with explicit statuses.
const Bytes kSimpleEvents = {0x00, 0x90, 60, 100, 0x60, 0x80, 60, 0, 0x00, 0x90, 64, 90, 0x60, 0x80, 64, 0};

TEST(MidiReader, Format0SingleTrack) {
  const Song song = parse(cat({header(0, 1, 96), track(cat({kSimpleEvents, eot()}))}));
  EXPECT_EQ(song.format, 0);
  EXPECT_EQ(song.ticks_per_quarter, 96);
  ASSERT_EQ(song.parts.size(), 1u);
  const Part& p = song.parts[0];
  EXPECT_EQ(p.track, 0);
  EXPECT_EQ(p.channel, 0);
  EXPECT_EQ(p.program, 0);
  EXPECT_FALSE(p.is_drum);
  EXPECT_EQ(p.name, "");
  EXPECT_EQ(p.notes, (std::vector<Note>{note(60, 100, 0, 96), note(64, 90, 96, 192)}));
  EXPECT_TRUE(song.warnings.empty());
  EXPECT_TRUE(song.tempos.empty());  // no tempo: 120 bpm by default
  EXPECT_TRUE(song.time_signatures.empty());
}

TEST(MidiReader, Format0IsSplitByChannel) {
  const Bytes events = {0x00, 0xC1, 33,       // channel 1: program 33 (bass)
                        0x00, 0x90, 60, 100,  // ch0 C4
                        0x00, 0x91, 40, 80,   // ch1 E2
                        0x00, 0x99, 36, 127,  // ch9 kick
                        0x10, 0x89, 36, 0,    // kick off at 16
                        0x10, 0x80, 60, 0,    // C4 off at 32
                        0x10, 0x81, 40, 0};   // E2 off at 48
  const Song song = parse(cat({header(0, 1, 480), track(cat({events, eot()}))}));
  ASSERT_EQ(song.parts.size(), 3u);
  EXPECT_EQ(song.parts[0].channel, 0);
  EXPECT_EQ(song.parts[0].program, 0);
  EXPECT_EQ(song.parts[0].notes, (std::vector<Note>{note(60, 100, 0, 32)}));
  EXPECT_EQ(song.parts[1].channel, 1);
  EXPECT_EQ(song.parts[1].program, 33);
  EXPECT_FALSE(song.parts[1].is_drum);
  EXPECT_EQ(song.parts[1].notes, (std::vector<Note>{note(40, 80, 0, 48)}));
  EXPECT_EQ(song.parts[2].channel, 9);
  EXPECT_TRUE(song.parts[2].is_drum);
  EXPECT_EQ(song.parts[2].notes, (std::vector<Note>{note(36, 127, 0, 16)}));
  for (const Part& p : song.parts) EXPECT_EQ(p.track, 0);
}

TEST(MidiReader, Format1TracksTemposAndTimeSignatures) {
  const Bytes conductor = {0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20,        // 500000 us at 0
                           0x00, 0xFF, 0x58, 0x04, 0x03, 0x03, 0x18, 0x08,  // 3/8 at 0
                           0x83, 0x00, 0xFF, 0x51, 0x03, 0x0F, 0x42, 0x40,  // 1000000 us at 384
                           0x00, 0xFF, 0x2F, 0x00};
  const Bytes piano = cat({testing::name_event(text("Piano")), kSimpleEvents, eot()});
  const Bytes bass = cat({{0x00, 0xC2, 34, 0x20, 0x92, 28, 70, 0x20, 0x82, 28, 0}, eot()});
  const Song song = parse(cat({header(1, 3, 192), track(conductor), track(piano), track(bass)}));
  EXPECT_EQ(song.format, 1);
  ASSERT_EQ(song.parts.size(), 2u);
  EXPECT_EQ(song.parts[0].track, 1);
  EXPECT_EQ(song.parts[0].name, "Piano");
  EXPECT_EQ(song.parts[0].notes, (std::vector<Note>{note(60, 100, 0, 96), note(64, 90, 96, 192)}));
  EXPECT_EQ(song.parts[1].track, 2);
  EXPECT_EQ(song.parts[1].channel, 2);
  EXPECT_EQ(song.parts[1].program, 34);
  EXPECT_EQ(song.parts[1].name, "");
  EXPECT_EQ(song.parts[1].notes, (std::vector<Note>{note(28, 70, 32, 64)}));
  ASSERT_EQ(song.tempos.size(), 2u);
  EXPECT_EQ(song.tempos[0].tick, 0);
  EXPECT_EQ(song.tempos[0].us_per_quarter, 500000);
  EXPECT_EQ(song.tempos[1].tick, 384);
  EXPECT_EQ(song.tempos[1].us_per_quarter, 1000000);
  ASSERT_EQ(song.time_signatures.size(), 1u);
  EXPECT_EQ(song.time_signatures[0].numerator, 3);
  EXPECT_EQ(song.time_signatures[0].denominator, 8);
  EXPECT_TRUE(song.warnings.empty());
}

TEST(MidiReader, TemposFromSeveralTracksAreSortedByTick) {
  const Bytes t0 = {0x40, 0xFF, 0x51, 0x03, 0x00, 0x00, 0x02, 0x00, 0xFF, 0x2F, 0x00};  // 2 us at 64
  const Bytes t1 = {0x10, 0xFF, 0x51, 0x03, 0x00, 0x00, 0x01, 0x00, 0xFF, 0x2F, 0x00};  // 1 us at 16
  const Song song = parse(cat({header(1, 2, 96), track(t0), track(t1)}));
  ASSERT_EQ(song.tempos.size(), 2u);
  EXPECT_EQ(song.tempos[0].tick, 16);
  EXPECT_EQ(song.tempos[0].us_per_quarter, 1);
  EXPECT_EQ(song.tempos[1].tick, 64);
  EXPECT_EQ(song.tempos[1].us_per_quarter, 2);
}

TEST(MidiReader, Format2IsReadLikeFormat1) {
  const Song song =
      parse(cat({header(2, 2, 96), track(cat({kSimpleEvents, eot()})), track(cat({kSimpleEvents, eot()}))}));
  EXPECT_EQ(song.format, 2);
  ASSERT_EQ(song.parts.size(), 2u);
  EXPECT_EQ(song.parts[0].track, 0);
  EXPECT_EQ(song.parts[1].track, 1);
  EXPECT_EQ(song.parts[0].notes, song.parts[1].notes);
}

TEST(MidiReader, AnyTicksPerQuarter) {
  for (int tpq : {1, 24, 384, 480, 960, 32767}) {
    const Song song = parse(cat({header(1, 1, tpq), track(cat({kSimpleEvents, eot()}))}));
    EXPECT_EQ(song.ticks_per_quarter, tpq);
    ASSERT_EQ(song.parts.size(), 1u);
    EXPECT_EQ(song.parts[0].notes, (std::vector<Note>{note(60, 100, 0, 96), note(64, 90, 96, 192)}));
  }
}

TEST(MidiReader, RejectsSmpteDivision) {
  const std::string e = parse_error(cat({header(1, 1, 0xE728), track(eot())}));  // -25 fps, 40 ticks/frame
  EXPECT_THAT(e, HasSubstr("<memory>: "));
  EXPECT_THAT(e, HasSubstr("SMPTE"));
}

TEST(MidiReader, RunningStatus) {
  // One note-on status, then data pairs only; note-offs as velocity 0.
  const Bytes events = {0x00, 0x90, 60, 100, 0x00, 64, 101, 0x30, 60, 0, 0x30, 64, 0};
  const Song song = parse(cat({header(0, 1, 96), track(cat({events, eot()}))}));
  ASSERT_EQ(song.parts.size(), 1u);
  EXPECT_EQ(song.parts[0].notes, (std::vector<Note>{note(60, 100, 0, 48), note(64, 101, 0, 96)}));
}

TEST(MidiReader, RunningStatusSurvivesMetaAndSysex) {
  const Bytes events = {0x00, 0x91, 60,   100,               // note-on ch1
                        0x00, 0xFF, 0x01, 0x02, 'h',  'i',   // text meta
                        0x10, 62,   90,                      // running status: note-on ch1
                        0x00, 0xF0, 0x03, 0x7E, 0x7F, 0xF7,  // sysex
                        0x10, 60,   0,                       // running status: C4 off at 32
                        0x00, 0xF7, 0x01, 0x00,              // escape sysex
                        0x10, 62,   0};                      // D4 off at 48
  const Song song = parse(cat({header(0, 1, 96), track(cat({events, eot()}))}));
  ASSERT_EQ(song.parts.size(), 1u);
  EXPECT_EQ(song.parts[0].channel, 1);
  EXPECT_EQ(song.parts[0].notes, (std::vector<Note>{note(60, 100, 0, 32), note(62, 90, 16, 48)}));
  EXPECT_TRUE(song.warnings.empty());
}

TEST(MidiReader, NoteOnVelocityZeroIsNoteOff) {
  const Bytes events = {0x00, 0x90, 60, 100, 0x20, 0x90, 60, 0, 0x20, 0x90, 60, 50, 0x20, 0x80, 60, 64};
  const Song song = parse(cat({header(0, 1, 96), track(cat({events, eot()}))}));
  ASSERT_EQ(song.parts.size(), 1u);
  EXPECT_EQ(song.parts[0].notes, (std::vector<Note>{note(60, 100, 0, 32), note(60, 50, 64, 96)}));
}

TEST(MidiReader, FifoPairingPerTrackChannelPitch) {
  // Same pitch on twice, then off twice: the first off ends the first note.
  // The same pitch on channel 2 and in another track is paired separately.
  const Bytes t0 = {0x00, 0x90, 60,   10,   0x10, 0x90, 60,   20,   0x00, 0x92, 60,   30,   0x10, 0x80,
                    60,   0,    0x10, 0x82, 60,   0,    0x10, 0x80, 60,   0,    0x00, 0xFF, 0x2F, 0x00};
  const Bytes t1 = {0x05, 0x80, 60, 0, 0x00, 0x90, 60, 40, 0x50, 0x80, 60, 0, 0x00, 0xFF, 0x2F, 0x00};
  const Song song = parse(cat({header(1, 2, 96), track(t0), track(t1)}));
  ASSERT_EQ(song.parts.size(), 3u);
  EXPECT_EQ(song.parts[0].notes, (std::vector<Note>{note(60, 10, 0, 32), note(60, 20, 16, 64)}));
  EXPECT_EQ(song.parts[1].channel, 2);
  EXPECT_EQ(song.parts[1].notes, (std::vector<Note>{note(60, 30, 16, 48)}));
  EXPECT_EQ(song.parts[2].track, 1);  // the stray off at 5 closes nothing
  EXPECT_EQ(song.parts[2].notes, (std::vector<Note>{note(60, 40, 5, 85)}));
}

TEST(MidiReader, ZeroLengthNotesAreKept) {
  const Bytes events = {0x00, 0x90, 60, 100, 0x00, 0x80, 60, 0, 0x10, 0x90, 62, 100, 0x00, 0x90, 62, 0};
  const Song song = parse(cat({header(0, 1, 96), track(cat({events, eot()}))}));
  ASSERT_EQ(song.parts.size(), 1u);
  EXPECT_EQ(song.parts[0].notes, (std::vector<Note>{note(60, 100, 0, 0), note(62, 100, 16, 16)}));
}

TEST(MidiReader, OpenNotesEndAtEndOfTrack) {
  const Bytes events = {0x00, 0x90, 60, 100, 0x10, 0x90, 60, 90, 0x10, 0x90, 67, 80, 0x10, 0x80, 60, 0};
  const Song song = parse(cat({header(0, 1, 96), track(cat({events, eot(0x40)}))}));
  ASSERT_EQ(song.parts.size(), 1u);
  // The off at 48 closes the first C4; the second C4 and the G4 end at the End-of-Track tick 112.
  EXPECT_EQ(song.parts[0].notes,
            (std::vector<Note>{note(60, 100, 0, 48), note(60, 90, 16, 112), note(67, 80, 32, 112)}));
}

TEST(MidiReader, MissingEndOfTrack) {
  const Bytes events = {0x00, 0x90, 60, 100, 0x10, 0x90, 62, 90, 0x20, 0x80, 60, 0, 0x30, 0xB0, 7, 100};
  const Song song = parse(cat({header(0, 1, 96), track(events)}));
  ASSERT_EQ(song.parts.size(), 1u);
  // D4 is still open: it ends at the last event (the controller at 96).
  EXPECT_EQ(song.parts[0].notes, (std::vector<Note>{note(60, 100, 0, 48), note(62, 90, 16, 96)}));
  EXPECT_TRUE(has_warning(song, "no End-of-Track"));
}

TEST(MidiReader, TrailingJunkIsIgnored) {
  const Bytes smf = cat({header(0, 1, 96), track(cat({kSimpleEvents, eot()}))});
  for (const Bytes& junk :
       {Bytes{0x00}, Bytes{0x00, 0x00, 0x0A}, Bytes{0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4, 5, 6, 7, 8}}) {
    const Song song = parse(cat({smf, junk}));
    ASSERT_EQ(song.parts.size(), 1u);
    EXPECT_EQ(song.parts[0].notes, (std::vector<Note>{note(60, 100, 0, 96), note(64, 90, 96, 192)}));
    EXPECT_TRUE(has_warning(song, "trailing data"));
  }
}

TEST(MidiReader, EventsAfterEndOfTrackInTheChunkAreIgnored) {
  const Song song = parse(cat({header(0, 1, 96), track(cat({kSimpleEvents, eot(), {0x00, 0x90, 70, 100}}))}));
  ASSERT_EQ(song.parts.size(), 1u);
  EXPECT_EQ(song.parts[0].notes.size(), 2u);
}

TEST(MidiReader, ChunkLengthPastEndOfFileIsTruncated) {
  // The track claims 1000 bytes; its last note-off and End-of-Track are missing.
  const Bytes events = {0x00, 0x90, 60, 100, 0x60, 0x80, 60, 0, 0x00, 0x90, 64, 90, 0x60, 0x80};
  const Song song = parse(cat({header(0, 1, 96), track(events, 1000)}));
  ASSERT_EQ(song.parts.size(), 1u);
  // E4 ends at the last complete event (its note-on at 96).
  EXPECT_EQ(song.parts[0].notes, (std::vector<Note>{note(60, 100, 0, 96), note(64, 90, 96, 96)}));
  EXPECT_TRUE(has_warning(song, "runs past the end of the file"));
}

TEST(MidiReader, HugeChunkLengthDoesNotAllocate) {
  const Song song = parse(cat({header(0, 1, 96), track(cat({kSimpleEvents, eot()}), 0xFFFFFFFFu)}));
  ASSERT_EQ(song.parts.size(), 1u);
  EXPECT_EQ(song.parts[0].notes.size(), 2u);
}

TEST(MidiReader, UnknownChunksAreSkipped) {
  const Bytes smf =
      cat({header(1, 2, 96), testing::chunk("XFIH", {1, 2, 3, 0x90, 60}), track(cat({kSimpleEvents, eot()})),
           testing::chunk("MThd", {0, 0}), track(cat({kSimpleEvents, eot()}))});
  const Song song = parse(smf);
  ASSERT_EQ(song.parts.size(), 2u);
  EXPECT_EQ(song.parts[0].track, 0);  // track numbers count MTrk chunks only
  EXPECT_EQ(song.parts[1].track, 1);
  EXPECT_EQ(song.parts[1].notes, (std::vector<Note>{note(60, 100, 0, 96), note(64, 90, 96, 192)}));
  EXPECT_TRUE(has_warning(song, "unknown chunk 'XFIH'"));
}

TEST(MidiReader, RiffRmidWrapper) {
  const Bytes smf = cat({header(0, 1, 96), track(cat({kSimpleEvents, eot()}))});
  const Bytes info = cat({text("INFO"), text("INAM"), testing::le32(3), text("abc"), {0}});  // odd size: padded
  const Bytes body = cat({text("RMID"), text("LIST"), testing::le32(uint32_t(info.size() - 1)), info, text("data"),
                          testing::le32(uint32_t(smf.size())), smf});
  const Bytes riff = cat({text("RIFF"), testing::le32(uint32_t(body.size())), body});
  const Song song = parse(riff);
  ASSERT_EQ(song.parts.size(), 1u);
  EXPECT_EQ(song.parts[0].notes, (std::vector<Note>{note(60, 100, 0, 96), note(64, 90, 96, 192)}));
  EXPECT_TRUE(song.warnings.empty());
  EXPECT_THAT(parse_error(cat({text("RIFF"), testing::le32(4), text("RMID")})), HasSubstr("without a data chunk"));
  EXPECT_THAT(parse_error(cat({text("RIFF"), testing::le32(4), text("WAVE")})), HasSubstr("not a RIFF MIDI"));
  // A data chunk longer than the file: what is there is read, with a warning.
  const Bytes cut =
      cat({text("RIFF"), testing::le32(uint32_t(body.size())), text("RMID"), text("data"), testing::le32(100000), smf});
  const Song cut_song = parse(cut);
  ASSERT_EQ(cut_song.parts.size(), 1u);
  EXPECT_EQ(cut_song.parts[0].notes.size(), 2u);
  EXPECT_TRUE(has_warning(cut_song, "RIFF data chunk length 100000"));
  // An odd-sized last chunk: its pad byte would lie past the end (found by fuzzing).
  EXPECT_THAT(
      parse_error(
          cat({text("RIFF"), testing::le32(48), text("RMID"), text("da"), {0x00, 0x95}, testing::le32(3), {0, 0, 1}})),
      HasSubstr("without a data chunk"));
}

TEST(MidiReader, DeclaredTrackCountDiffers) {
  const Bytes t = track(cat({kSimpleEvents, eot()}));
  for (int declared : {0, 1, 5}) {
    const Song song = parse(cat({header(1, declared, 96), t, t, t}));
    EXPECT_EQ(song.parts.size(), 3u) << declared;
    EXPECT_TRUE(has_warning(song, "header declares")) << declared;
  }
}

TEST(MidiReader, DataByteAbove127InChannelMessageResyncs) {
  // 0x90 60 then 0x91: the note-on is cut short and dropped; 0x91 starts the
  // next event at the same tick. Then a controller cut by a meta event.
  const Bytes events = {0x00, 0x90, 60,   0x91, 62,   100,  // -> ch1 D4 on at 0
                        0x10, 0xB0, 0xFF, 0x01, 0x00,       // controller cut by a text meta at 16
                        0x10, 0x81, 62,   0,                // D4 off at 32
                        0x00, 0x90, 64,   0x85, 64,   0};   // cut; 0x85 64 0 is a note-off with no open note
  const Song song = parse(cat({header(0, 1, 96), track(cat({events, eot()}))}));
  ASSERT_EQ(song.parts.size(), 1u);
  EXPECT_EQ(song.parts[0].channel, 1);
  EXPECT_EQ(song.parts[0].notes, (std::vector<Note>{note(62, 100, 0, 32)}));
  EXPECT_TRUE(has_warning(song, "3 channel messages cut short"));
}

TEST(MidiReader, StrayDataBytesWithoutStatusAreSkipped) {
  const Bytes events = {0x00, 0x12, 0x34, 0x90, 60, 100, 0x10, 0x80, 60, 0};
  const Song song = parse(cat({header(0, 1, 96), track(cat({events, eot()}))}));
  ASSERT_EQ(song.parts.size(), 1u);
  EXPECT_EQ(song.parts[0].notes, (std::vector<Note>{note(60, 100, 0, 16)}));
  EXPECT_TRUE(has_warning(song, "2 data bytes without a status byte"));
}

TEST(MidiReader, SystemCommonBytesAreSkipped) {
  const Bytes events = {0x00, 0x90, 60, 100, 0x00, 0xF2, 1, 2, 0x00, 0xF8, 0x10, 60, 0};
  const Song song = parse(cat({header(0, 1, 96), track(cat({events, eot()}))}));
  ASSERT_EQ(song.parts.size(), 1u);
  // The real-time byte 0xF8 has no data; the running status note-on continues.
  EXPECT_EQ(song.parts[0].notes, (std::vector<Note>{note(60, 100, 0, 16)}));
}

TEST(MidiReader, ProgramIsLastChangeEarlierInTheTrack) {
  const Bytes t0 = {0x00, 0xC0, 5,        // ch0 program 5
                    0x00, 0xC1, 7,        // ch1 program 7
                    0x00, 0x90, 60, 100,  // ch0 C4 (program 5), held across the change
                    0x00, 0x91, 50, 100,  // ch1 (program 7)
                    0x10, 0xC0, 33,       // ch0 program 33 mid-track
                    0x00, 0x90, 40, 90,   // ch0 E2 (program 33)
                    0x10, 0x80, 60, 0,   0x00, 0x80, 40, 0, 0x00, 0x81, 50, 0, 0x00, 0xFF, 0x2F, 0x00};
  // A program change in another track does not carry over: default 0.
  const Bytes t1 = {0x00, 0x90, 72, 80, 0x08, 0x80, 72, 0, 0x00, 0xFF, 0x2F, 0x00};
  const Song song = parse(cat({header(1, 2, 96), track(t0), track(t1)}));
  ASSERT_EQ(song.parts.size(), 4u);
  EXPECT_EQ(std::make_tuple(song.parts[0].track, song.parts[0].channel, song.parts[0].program),
            std::make_tuple(0, 0, 5));
  EXPECT_EQ(song.parts[0].notes, (std::vector<Note>{note(60, 100, 0, 32)}));
  EXPECT_EQ(std::make_tuple(song.parts[1].track, song.parts[1].channel, song.parts[1].program),
            std::make_tuple(0, 0, 33));
  EXPECT_EQ(song.parts[1].notes, (std::vector<Note>{note(40, 90, 16, 32)}));
  EXPECT_EQ(std::make_tuple(song.parts[2].track, song.parts[2].channel, song.parts[2].program),
            std::make_tuple(0, 1, 7));
  EXPECT_EQ(song.parts[2].notes, (std::vector<Note>{note(50, 100, 0, 32)}));
  EXPECT_EQ(std::make_tuple(song.parts[3].track, song.parts[3].channel, song.parts[3].program),
            std::make_tuple(1, 0, 0));
  EXPECT_EQ(song.parts[3].notes, (std::vector<Note>{note(72, 80, 0, 8)}));
}

TEST(MidiReader, NotesAreSortedByStartPitchEnd) {
  const Bytes events = {0x00, 0x90, 64, 1, 0x00, 0x90, 60, 2, 0x00, 0x90, 60, 3, 0x10, 0x80, 60, 0,
                        0x10, 0x80, 64, 0, 0x00, 0x80, 60, 0, 0x00, 0x90, 50, 4, 0x10, 0x80, 50, 0};
  const Song song = parse(cat({header(0, 1, 96), track(cat({events, eot()}))}));
  ASSERT_EQ(song.parts.size(), 1u);
  EXPECT_EQ(song.parts[0].notes,
            (std::vector<Note>{note(60, 2, 0, 16), note(60, 3, 0, 32), note(64, 1, 0, 32), note(50, 4, 32, 48)}));
}

TEST(MidiReader, TrackNamesAreUtf8) {
  const Bytes latin1 = {'B', 'a', 0xDF, 0x00};  // "Baß" in Latin-1 with a NUL
  const Bytes utf8 = {'B', 'a', 0xC3, 0x9F};    // "Baß" in UTF-8
  for (const Bytes& name : {latin1, utf8}) {
    const Bytes events = cat({testing::name_event(name), testing::name_event(text("second")), kSimpleEvents, eot()});
    const Song song = parse(cat({header(0, 1, 96), track(events)}));
    ASSERT_EQ(song.parts.size(), 1u);
    EXPECT_EQ(song.parts[0].name, "Ba\xC3\x9F");
  }
}

TEST(MidiText, Utf8Validation) {
  const auto valid = [](const Bytes& b) { return is_valid_utf8(b.data(), b.size()); };
  EXPECT_TRUE(valid(text("plain")));
  EXPECT_TRUE(valid({0xC3, 0xA9}));               // é
  EXPECT_TRUE(valid({0xE2, 0x82, 0xAC}));         // €
  EXPECT_TRUE(valid({0xF0, 0x9F, 0x8E, 0xB9}));   // U+1F3B9
  EXPECT_FALSE(valid({0xC0, 0xAF}));              // overlong '/'
  EXPECT_FALSE(valid({0xE0, 0x80, 0xAF}));        // overlong
  EXPECT_FALSE(valid({0xED, 0xA0, 0x80}));        // surrogate
  EXPECT_FALSE(valid({0xF4, 0x90, 0x80, 0x80}));  // above U+10FFFF
  EXPECT_FALSE(valid({0xE2, 0x82}));              // truncated
  EXPECT_FALSE(valid({0xA9}));                    // lone continuation
  const Bytes latin1 = {'c', 'a', 'f', 0xE9};
  EXPECT_EQ(decode_meta_text(latin1.data(), latin1.size()), "caf\xC3\xA9");
}

TEST(MidiReader, HeaderErrors) {
  EXPECT_THAT(parse_error({}), HasSubstr("empty file"));
  EXPECT_THAT(parse_error(text("hello, world, this is text")), HasSubstr("no MThd header"));
  EXPECT_THAT(parse_error(text("MThd")), HasSubstr("truncated MThd"));
  EXPECT_THAT(parse_error(cat({text("MThd"), testing::be32(6), {0, 1, 0, 1}})), HasSubstr("truncated MThd"));
  EXPECT_THAT(parse_error(cat({text("MThd"), testing::be32(4), {0, 1, 0, 1, 0, 96}, track(eot())})),
              HasSubstr("too short"));
  EXPECT_THAT(parse_error(cat({text("MThd"), testing::be32(0x7FFFFFFF), {0, 1, 0, 1, 0, 96}})),
              HasSubstr("runs past the end"));
  EXPECT_THAT(parse_error(cat({header(3, 1, 96), track(eot())})), HasSubstr("unsupported SMF format 3"));
  EXPECT_THAT(parse_error(cat({header(1, 1, 0), track(eot())})), HasSubstr("ticks per quarter note is 0"));
  EXPECT_THAT(parse_error(header(1, 1, 96)), HasSubstr("no track"));
  EXPECT_THAT(parse_error(cat({header(1, 1, 96), testing::chunk("junk", {1, 2, 3})})), HasSubstr("no track"));
}

TEST(MidiReader, LongerHeaderIsAccepted) {
  const Bytes smf =
      cat({text("MThd"), testing::be32(8), {0, 0, 0, 1, 0, 96, 0xAA, 0xBB}, track(cat({kSimpleEvents, eot()}))});
  const Song song = parse(smf);
  ASSERT_EQ(song.parts.size(), 1u);
  EXPECT_EQ(song.parts[0].notes.size(), 2u);
}

TEST(MidiReader, OverlongDeltaTimeEndsTheTrack) {
  const Bytes events = {0x00, 0x90, 60, 100, 0x81, 0x81, 0x81, 0x81, 0x01, 0x80, 60, 0};
  const Song song = parse(cat({header(0, 1, 96), track(events)}));
  ASSERT_EQ(song.parts.size(), 1u);
  EXPECT_EQ(song.parts[0].notes, (std::vector<Note>{note(60, 100, 0, 0)}));
  EXPECT_TRUE(has_warning(song, "invalid or truncated delta time"));
}

TEST(MidiReader, LargestDeltaTimeIsAccepted) {
  const Bytes events = {0x00, 0x90, 60, 100, 0xFF, 0xFF, 0xFF, 0x7F, 0x80, 60, 0};
  const Song song = parse(cat({header(0, 1, 96), track(cat({events, eot()}))}));
  ASSERT_EQ(song.parts.size(), 1u);
  EXPECT_EQ(song.parts[0].notes, (std::vector<Note>{note(60, 100, 0, 0x0FFFFFFF)}));
}

TEST(MidiReader, MetaLengthPastTrackEnd) {
  const Bytes events = {0x00, 0x90, 60, 100, 0x10, 0xFF, 0x01, 0x7F, 'a', 'b'};
  const Song song = parse(cat({header(0, 1, 96), track(events)}));
  ASSERT_EQ(song.parts.size(), 1u);
  EXPECT_EQ(song.parts[0].notes, (std::vector<Note>{note(60, 100, 0, 0)}));
  EXPECT_TRUE(has_warning(song, "meta event truncated"));
}

TEST(MidiReader, InvalidTempoAndTimeSignatureAreIgnored) {
  const Bytes events = {0x00, 0xFF, 0x51, 0x03, 0, 0,  0,      // tempo 0
                        0x00, 0xFF, 0x51, 0x02, 1, 2,          // short tempo
                        0x00, 0xFF, 0x58, 0x04, 0, 2,  24, 8,  // numerator 0
                        0x00, 0xFF, 0x58, 0x04, 4, 40, 24, 8,  // denominator 2^40
                        0x00, 0xFF, 0x58, 0x02, 6, 3,          // short but usable: 6/8
                        0x00, 0xFF, 0x2F, 0x00};
  const Song song = parse(cat({header(0, 1, 96), track(events)}));
  EXPECT_TRUE(song.tempos.empty());
  ASSERT_EQ(song.time_signatures.size(), 1u);
  EXPECT_EQ(song.time_signatures[0].numerator, 6);
  EXPECT_EQ(song.time_signatures[0].denominator, 8);
  EXPECT_TRUE(has_warning(song, "invalid tempo"));
  EXPECT_TRUE(has_warning(song, "invalid time signature"));
}

TEST(MidiReader, WarningsAreBounded) {
  Bytes smf = header(1, 1, 96);
  for (int i = 0; i < 500; ++i) smf = cat({smf, track({0x00, 0x90, 60, 100})});  // no End-of-Track
  const Song song = parse(smf);
  EXPECT_EQ(song.parts.size(), 500u);
  EXPECT_LE(song.warnings.size(), 65u);
  EXPECT_TRUE(has_warning(song, "more warnings not shown"));
}

TEST(MidiReader, TooManyNotesIsAnError) {
  Bytes events = {0x00, 0x90, 60, 100};
  events.reserve(kMaxMidiNotes * 3 + 16);
  for (size_t i = 0; i < kMaxMidiNotes; ++i) events.insert(events.end(), {0x00, 61, 100});
  EXPECT_THAT(parse_error(cat({header(0, 1, 96), track(events)})), HasSubstr("more than"));
}

TEST(MidiReader, FileSizeIsCapped) {
  Bytes big(kMaxMidiFileBytes + 1, 0);
  EXPECT_THAT(parse_error(big), HasSubstr("file larger than"));
}

TEST(MidiReader, ReadFileErrorsNameThePath) {
  try {
    read_midi_file("/nonexistent/dir/song.mid");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/dir/song.mid: "));
  }
}

}  // namespace
}  // namespace acc::midi
