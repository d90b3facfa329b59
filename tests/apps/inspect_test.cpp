// `accompanist inspect`: the exact JSON of SPEC section 9 on a good file, and
// on corrupted inputs exit 1, one `error: ` line on stderr, nothing on stdout.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/cli_runner.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

const std::string kBinary = ACC_BINARY_DIR "/bin/accompanist";

using acc::testing::RunResult;
using acc::testing::slurp;

fs::path work_dir() {
  return acc::testing::scratch_dir("inspect_test");
}

RunResult run(const std::vector<std::string>& args) {
  return acc::testing::run_binary(kBinary, args, work_dir());
}

fs::path write_bytes(const std::string& name, const Bytes& bytes) {
  const fs::path p = work_dir() / name;
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  return p;
}

Bytes str(const std::string& s) {
  return Bytes(s.begin(), s.end());
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes be32(uint32_t v) {
  return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
}
Bytes le32(uint32_t v) {
  return {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
}
Bytes header(int format, int tracks, int division) {
  return cat({str("MThd"),
              be32(6),
              {uint8_t(format >> 8), uint8_t(format), uint8_t(tracks >> 8), uint8_t(tracks), uint8_t(division >> 8),
               uint8_t(division)}});
}
Bytes chunk(const std::string& id, const Bytes& body, int64_t length = -1) {
  return cat({str(id), be32(uint32_t(length < 0 ? body.size() : uint64_t(length))), body});
}

const Bytes kTrack =
    chunk("MTrk", {0x00, 0xFF, 0x03, 0x02, 'P', 'n', 0x00, 0xC0, 0x01, 0x00, 0x90, 60,   100,  0x60, 0x80,
                   60,   0,    0x00, 0x99, 36,  127, 0x00, 0x89, 36,   0,    0x00, 0xFF, 0x2F, 0x00});

TEST(InspectCli, PrintsTheSpecJson) {
  const fs::path p = write_bytes("good.mid", cat({header(1, 1, 96), kTrack}));
  const RunResult r = run({"inspect", p.string()});
  ASSERT_EQ(r.signal, 0);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(
      r.out,
      "{\"format\":1,\"ticks_per_quarter\":96,\"parts\":["
      "{\"track\":0,\"channel\":0,\"program\":1,\"is_drum\":false,\"name\":\"Pn\",\"notes\":[[60,100,0,96]]},"
      "{\"track\":0,\"channel\":9,\"program\":0,\"is_drum\":true,\"name\":\"Pn\",\"notes\":[[36,127,96,96]]}]}\n");
}

TEST(InspectCli, WarningsGoToStderr) {
  // No End-of-Track and trailing junk: tolerated, reported on stderr only.
  const Bytes body = {0x00, 0x90, 60, 100, 0x60, 0x80, 60, 0};
  const fs::path p = write_bytes("quirky.mid", cat({header(0, 1, 96), chunk("MTrk", body), {0xDE, 0xAD}}));
  const RunResult r = run({"inspect", p.string()});
  ASSERT_EQ(r.signal, 0);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["parts"][0]["notes"], nlohmann::json::parse("[[60,100,0,96]]"));
  EXPECT_NE(r.err.find("no End-of-Track"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("trailing data"), std::string::npos) << r.err;
}

struct BadInput {
  std::string name;
  std::string path;
};

std::vector<BadInput> bad_inputs() {
  std::vector<BadInput> cases;
  const auto add = [&](const std::string& name, const Bytes& bytes) {
    cases.push_back({name, write_bytes(name + ".mid", bytes).string()});
  };
  const Bytes good = cat({header(1, 1, 96), kTrack});
  std::mt19937 rng(42);
  Bytes random(2000);
  for (auto& b : random) b = uint8_t(rng());

  add("zero_length", {});
  add("random_bytes", random);
  add("text", str("this is not a MIDI file\n"));
  add("utf16_text", {0xFF, 0xFE, 'M', 0, 'T', 0, 'h', 0, 'd', 0, 0, 0, 0, 0, 0, 0});
  add("gzip", {0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0, 3, 'x', 'y', 'z', 0, 0, 0});
  add("magic_only", str("MThd"));
  add("truncated_header", Bytes(good.begin(), good.begin() + 10));
  add("truncated_in_track_header", Bytes(good.begin(), good.begin() + 20));
  add("header_length_short", cat({str("MThd"), be32(2), {0, 1, 0, 1, 0, 96}, kTrack}));
  add("header_length_huge", cat({str("MThd"), be32(0xFFFFFFFF), {0, 1, 0, 1, 0, 96}, kTrack}));
  add("smpte_division", cat({header(1, 1, 0xE250), kTrack}));
  add("zero_division", cat({header(1, 1, 0), kTrack}));
  add("format_3", cat({header(3, 1, 96), kTrack}));
  add("no_tracks", header(1, 1, 96));
  add("only_unknown_chunks", cat({header(1, 1, 96), chunk("XFIH", {1, 2, 3}), chunk("Junk", {})}));
  add("huge_unknown_chunk_before_track", cat({header(1, 1, 96), chunk("XXXX", {}, 0xFFFFFFF0), kTrack}));
  add("riff_not_rmid", cat({str("RIFF"), le32(4), str("WAVE")}));
  add("riff_without_data", cat({str("RIFF"), le32(16), str("RMID"), str("LIST"), le32(4), str("INFO")}));
  add("riff_data_garbage", cat({str("RIFF"), le32(16), str("RMID"), str("data"), le32(4), {1, 2, 3, 4}}));

  cases.push_back({"directory", work_dir().string()});
  cases.push_back({"missing_path", (work_dir() / "does_not_exist.mid").string()});
  const fs::path dangling = work_dir() / "dangling.mid";
  fs::remove(dangling);
  fs::create_symlink(work_dir() / "no_target.mid", dangling);
  cases.push_back({"dangling_symlink", dangling.string()});
  // Past the reader's size cap; sparse, so it costs no disk.
  const fs::path big = work_dir() / "too_big.mid";
  { std::ofstream(big, std::ios::binary | std::ios::trunc).write("MThd", 4); }
  fs::resize_file(big, (uint64_t(64) << 20) + 1);
  cases.push_back({"too_big", big.string()});
  return cases;
}

TEST(InspectCli, CorruptedInputsGiveOneErrorLine) {
  const std::vector<BadInput> cases = bad_inputs();
  ASSERT_GE(cases.size(), 20u);
  for (const BadInput& c : cases) {
    SCOPED_TRACE(c.name);
    const RunResult r = run({"inspect", c.path});
    EXPECT_EQ(r.signal, 0) << "killed by signal";
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.back(), '\n');
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line: " << r.err;
    EXPECT_EQ(r.err.rfind("error: " + c.path + ": ", 0), 0u) << r.err;
  }
  fs::remove(work_dir() / "too_big.mid");
}

}  // namespace
