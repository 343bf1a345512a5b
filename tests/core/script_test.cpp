// Runs every scenario script in tests/core/testdata (see script.hpp for the
// language), and checks that the runner itself reports what it should.
//
//   LANLORD_SCRIPT=name.txt   run only that script
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "script.hpp"

using lanlord::test::run_script;
using lanlord::test::run_script_file;
using lanlord::test::ScriptResult;

namespace {

std::vector<std::filesystem::path> scripts() {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(LANLORD_TESTDATA_DIR)) {
    if (e.path().extension() == ".txt") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

ScriptResult run_text(const std::string& text) {
  std::istringstream in(text);
  return run_script(in, "inline.txt");
}

}  // namespace

TEST_CASE("scenario scripts: every testdata script holds") {
  const char* only = std::getenv("LANLORD_SCRIPT");
  std::size_t ran = 0;
  for (const auto& path : scripts()) {
    if (only != nullptr && *only != '\0' && path.filename() != only) continue;
    ++ran;
    const ScriptResult r = run_script_file(path.string());
    CHECK_MESSAGE(r.ok, r.error);
    CHECK_MESSAGE(r.expectations > 0, path.filename().string() << " expects nothing");
  }
  CHECK(ran > 0);
}

TEST_CASE("scenario scripts: an unknown command is an error that names it and its line") {
  const ScriptResult r = run_text("profile fast\nspawn p0\n\n  # a comment\nfrobnicate p0\n");
  CHECK_FALSE(r.ok);
  CHECK(r.error.find("inline.txt:5: unknown command 'frobnicate'") != std::string::npos);
  CHECK(r.error.find("expect-leader") != std::string::npos);  // lists the commands
}

TEST_CASE("scenario scripts: a failing expectation reports file, line and the cluster") {
  const ScriptResult r = run_text(
      "profile fast\n"
      "spawn p0 p1 p2\n"
      "run 3s\n"
      "expect-leader p0\n"
      "expect-leader p1   # wrong on purpose\n"
      "expect-leader p0\n");
  CHECK_FALSE(r.ok);
  CHECK(r.expectations == 1);
  CHECK(r.error.find("inline.txt:5: expected p1 as the only leader, but the leaders are: p0") !=
        std::string::npos);
  CHECK(r.error.find("p0 group=0 leader=p0 LEADING") != std::string::npos);
}

TEST_CASE("scenario scripts: bad arguments are errors") {
  CHECK(run_text("run 5 parsecs\n").error.find("inline.txt:1: run: wrong number") == 0);
  CHECK(run_text("run 5parsecs\n").error.find("bad duration unit") != std::string::npos);
  CHECK(run_text("drop 1.5\n").error.find("bad probability") != std::string::npos);
  CHECK(run_text("spawn p0\nprofile lan\n").error.find("before the first spawn") !=
        std::string::npos);
  CHECK(run_text("spawn p0\ncrash p9\n").error.find("unknown node 'p9'") != std::string::npos);
  CHECK(run_text("profile slow\n").error.find("unknown profile 'slow'") != std::string::npos);
}

TEST_CASE("scenario scripts: expect-stable fails when the leader changes within the time") {
  // p0 leads; it crashes during expect-stable, so the leader set changes.
  const ScriptResult r = run_text(
      "profile fast\n"
      "spawn p0 p1 p2\n"
      "run 3s\n"
      "expect-stable 1s\n"
      "crash p0\n"
      "expect-stable 3s\n");
  CHECK_FALSE(r.ok);
  CHECK(r.error.find("inline.txt:6: the leaders changed from none to p1") != std::string::npos);
}
