// The C++ reader and writer against an independent reader: mido, through
// tests/reference/midi_notes_mido.py (SPEC section 2 rules written in Python).
// Real data: data/debian from datasets/debian/fetch.sh (skipped when absent).
#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "accompanist/midi/reader.h"
#include "accompanist/midi/writer.h"
#include "accompanist/util/error.h"
#include "midi/smf_bytes.h"

namespace acc::midi {
namespace {

namespace fs = std::filesystem;
using NoteRow = std::array<int64_t, 7>;  // track, channel, program, pitch, velocity, start, end

// Runs the mido reference on every MIDI file under dir.
nlohmann::json run_reference(const fs::path& dir, const std::string& tag) {
  const fs::path out = fs::path(ACC_BINARY_DIR) / "tests" / ("midi_reference_" + tag + ".json");
  const std::string cmd = std::string("'") + ACC_REFERENCE_PYTHON + "' '" + ACC_SOURCE_DIR +
                          "/tests/reference/midi_notes_mido.py' '" + dir.string() + "' '" + out.string() + "'";
  const int rc = std::system(cmd.c_str());
  if (rc != 0) throw Error("midi_notes_mido.py", "exit status " + std::to_string(rc));
  std::ifstream in(out);
  return nlohmann::json::parse(in).at("files");
}

std::vector<NoteRow> rows_of(const Song& song) {
  std::vector<NoteRow> rows;
  for (const Part& p : song.parts) {
    for (const Note& n : p.notes) rows.push_back({p.track, p.channel, p.program, n.pitch, n.velocity, n.start, n.end});
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::vector<NoteRow> rows_of(const nlohmann::json& file) {
  std::vector<NoteRow> rows;
  for (const auto& n : file.at("notes")) {
    NoteRow r;
    for (size_t i = 0; i < r.size(); ++i) r[i] = n.at(i).get<int64_t>();
    rows.push_back(r);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

// (channel, pitch, velocity, start): what must agree even where ends might not.
std::vector<std::array<int64_t, 4>> onsets_of(const std::vector<NoteRow>& rows) {
  std::vector<std::array<int64_t, 4>> out;
  for (const NoteRow& r : rows) out.push_back({r[1], r[3], r[4], r[5]});
  std::sort(out.begin(), out.end());
  return out;
}

void expect_same_maps(const Song& song, const nlohmann::json& ref, const std::string& file) {
  ASSERT_EQ(song.tempos.size(), ref.at("tempos").size()) << file;
  for (size_t i = 0; i < song.tempos.size(); ++i) {
    EXPECT_EQ(song.tempos[i].tick, ref["tempos"][i][0].get<int64_t>()) << file;
    EXPECT_EQ(song.tempos[i].us_per_quarter, ref["tempos"][i][1].get<int>()) << file;
  }
  ASSERT_EQ(song.time_signatures.size(), ref.at("time_signatures").size()) << file;
  for (size_t i = 0; i < song.time_signatures.size(); ++i) {
    EXPECT_EQ(song.time_signatures[i].tick, ref["time_signatures"][i][0].get<int64_t>()) << file;
    EXPECT_EQ(song.time_signatures[i].numerator, ref["time_signatures"][i][1].get<int>()) << file;
    EXPECT_EQ(song.time_signatures[i].denominator, ref["time_signatures"][i][2].get<int>()) << file;
  }
}

TEST(MidiReference, DebianFilesMatchMido) {
  const fs::path dir = fs::path(ACC_SOURCE_DIR) / "data" / "debian";
  if (!fs::exists(dir / ".complete")) {
    GTEST_SKIP() << dir << " not found: run datasets/debian/fetch.sh to compare with mido on real files";
  }
  const nlohmann::json files = run_reference(dir, "debian");
  size_t mido_ok = 0, onsets_equal = 0, exact = 0, notes = 0;
  ASSERT_GT(files.size(), 0u);
  for (const auto& [rel, ref] : files.items()) {
    const Song song = read_midi_file((dir / rel).string());  // the C++ reader must read every file
    if (!ref.at("ok").get<bool>()) {
      std::cout << "mido rejects " << rel << ": " << ref.at("error").get<std::string>() << "\n";
      continue;
    }
    ++mido_ok;
    EXPECT_EQ(song.format, ref.at("format").get<int>()) << rel;
    EXPECT_EQ(song.ticks_per_quarter, ref.at("ticks_per_quarter").get<int>()) << rel;
    const auto ours = rows_of(song);
    const auto theirs = rows_of(ref);
    notes += theirs.size();
    const bool same_onsets = onsets_of(ours) == onsets_of(theirs);
    const bool same_notes = ours == theirs;
    onsets_equal += same_onsets;
    exact += same_notes;
    EXPECT_TRUE(same_onsets) << rel << ": (channel, pitch, velocity, start) differ";
    EXPECT_TRUE(same_notes) << rel << ": notes (with track, program and end) differ";
    expect_same_maps(song, ref, rel);
  }
  std::cout << files.size() << " files, " << mido_ok << " read by mido, " << onsets_equal
            << " with equal (channel, pitch, velocity, start), " << exact << " with equal notes (" << notes
            << " notes)\n";
  RecordProperty("files", int(files.size()));
  RecordProperty("mido_ok", int(mido_ok));
  RecordProperty("exact", int(exact));
  EXPECT_GE(files.size(), 80u);  // 114 songs (84 before the five smaller packages were added)
}

Part make_part(int channel, int program, std::vector<Note> notes, std::string name) {
  Part p;
  p.channel = channel;
  p.program = program;
  p.is_drum = channel == 9;
  p.name = std::move(name);
  p.notes = std::move(notes);
  return p;
}

TEST(MidiReference, WrittenFilesReadByMido) {
  using testing::note;
  const fs::path dir = fs::path(ACC_BINARY_DIR) / "tests" / "midi_reference_written";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::map<std::string, Song> songs;
  for (int tpq : {96, 384, 480}) {
    Song s;
    s.ticks_per_quarter = tpq;
    s.tempos = {{0, 500000}, {int64_t(tpq) * 4, 450000}};
    s.time_signatures = {{0, 4, 4}, {int64_t(tpq) * 4, 6, 8}};
    s.parts = {make_part(0, 0,
                         {note(60, 100, 0, tpq), note(60, 90, tpq / 2, 2 * tpq), note(60, 80, 2 * tpq, 2 * tpq),
                          note(64, 70, 0, 0), note(64, 71, 0, 3 * tpq), note(67, 127, 5, 6)},
                         "Piano"),
               make_part(1, 33, {note(36, 100, 0, 4 * tpq), note(43, 1, 4 * tpq, 5 * tpq)}, "Bass"),
               make_part(9, 0, {note(36, 110, 0, 10), note(38, 100, tpq, tpq + 10)}, "Drums")};
    const std::string name = "song" + std::to_string(tpq) + ".mid";
    write_midi_file(s, (dir / name).string());
    songs[name] = s;
  }
  const nlohmann::json files = run_reference(dir, "written");
  ASSERT_EQ(files.size(), songs.size());
  for (auto& [name, s] : songs) {
    const nlohmann::json& ref = files.at(name);
    ASSERT_TRUE(ref.at("ok").get<bool>()) << name << ": " << ref;
    EXPECT_EQ(ref.at("format").get<int>(), 1);
    EXPECT_EQ(ref.at("ticks_per_quarter").get<int>(), s.ticks_per_quarter);
    for (size_t i = 0; i < s.parts.size(); ++i) s.parts[i].track = int(i) + 1;  // track 0 is the conductor
    EXPECT_EQ(rows_of(s), rows_of(ref)) << name;
    expect_same_maps(s, ref, name);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace acc::midi
