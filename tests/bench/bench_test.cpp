// The benchmark's own logic: the agreement rule, the command line, the
// output formats, the Fabric figures, and the scenarios on the simulator.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "drivers/driver.hpp"
#include "drivers/sim_driver.hpp"
#ifdef LANLORD_BENCH_HAVE_UDP
#include "drivers/udp_driver.hpp"
#endif
#include "experiment/fabric_model.hpp"
#include "experiment/options.hpp"
#include "experiment/runner.hpp"
#include "experiment/scenarios.hpp"
#include "lanlord/app/json_reader.hpp"
#include "report/plot.hpp"
#include "report/report.hpp"

using namespace std::chrono_literals;
using namespace lanlord::bench;
using lanlord::Duration;

namespace {

// Node i names leader l and says whether it leads.
NodeView view(std::size_t leader, bool is_leader, int side = 0, bool live = true) {
  return NodeView{live, side, leader, is_leader};
}

// The same, naming the leadership's epoch.
NodeView view_epoch(std::size_t leader, bool is_leader, std::uint64_t epoch) {
  NodeView v = view(leader, is_leader);
  v.epoch = epoch;
  return v;
}

ParsedOptions parse(std::vector<const char*> args) {
  args.insert(args.begin(), "lanlord-bench");
  return parse_options(static_cast<int>(args.size()), args.data());
}

SimParams sim_params(const char* profile, std::uint64_t seed) {
  SimParams p;
  p.profile = *lanlord::find_profile(profile);
  p.seed = seed;
  p.faults.delay = 1ms;
  p.faults.jitter = 1ms;
  return p;
}

ScenarioParams scenario_params(const char* profile) {
  ScenarioParams p;
  p.profile = *lanlord::find_profile(profile);
  p.limit = default_limit(Scenario::kFailover, p.profile);
  p.churn_duration = 5s;
  return p;
}

}  // namespace

TEST_CASE("agreement: everyone names node 0 and only node 0 leads") {
  CHECK(evaluate_agreement({view(0, true), view(0, false), view(0, false)}, true).agreed);
  CHECK(evaluate_agreement({view(0, true), view(0, false), view(0, false)}, true).leader == 0);
}

TEST_CASE("agreement fails on a split view, a second claimant, an unknown or dead leader") {
  CHECK_FALSE(evaluate_agreement({view(0, true), view(1, false)}, true).agreed);
  CHECK_FALSE(evaluate_agreement({view(0, true), view(0, true)}, true).agreed);
  CHECK_FALSE(evaluate_agreement({view(0, true), view(kNoNode, false)}, true).agreed);
  // Followers still name the crashed leader 0.
  CHECK_FALSE(
      evaluate_agreement({view(0, true, 0, false), view(0, false), view(0, false)}, true).agreed);
  // Nobody live at all.
  CHECK_FALSE(evaluate_agreement({view(0, true, 0, false)}, true).agreed);
}

TEST_CASE("agreement ignores dead nodes and holds per half while partitioned") {
  CHECK(evaluate_agreement({view(kNoNode, false, 0, false), view(1, true), view(1, false)}, true)
            .agreed);
  // Halves {0, 2} and {1, 3}, each with its own leader.
  const std::vector<NodeView> halves = {view(0, true, 0), view(1, true, 1), view(0, false, 0),
                                        view(1, false, 1)};
  const Transition apart = evaluate_agreement(halves, false);
  CHECK(apart.agreed);
  CHECK(apart.leader == kNoNode);                        // two leaders: no single one to name
  CHECK_FALSE(evaluate_agreement(halves, true).agreed);  // joined: two leaders
}

TEST_CASE("one leader: a newcomer that names nobody yet spoils agreement but not one_leader") {
  const Transition t =
      evaluate_agreement({view(0, true), view(0, false), view(kNoNode, false)}, true);
  CHECK_FALSE(t.agreed);
  CHECK(t.one_leader);
  // Two claimants, or a follower still naming a departed leader: not one leader.
  CHECK_FALSE(evaluate_agreement({view(0, true), view(1, true)}, true).one_leader);
  CHECK_FALSE(evaluate_agreement({view(0, false, 0, false), view(1, true), view(0, false)}, true)
                  .one_leader);
  // Nobody leads.
  CHECK_FALSE(evaluate_agreement({view(kNoNode, false), view(kNoNode, false)}, true).one_leader);
  // Agreement implies one leader.
  CHECK(evaluate_agreement({view(1, false), view(1, true)}, true).one_leader);
}

TEST_CASE("agreement needs one epoch: a new term of the same leader is a change") {
  const Transition t = evaluate_agreement(
      {view_epoch(0, true, 7), view_epoch(0, false, 7), view_epoch(0, false, 7)}, true);
  CHECK(t.agreed);
  CHECK(t.epoch == 7);
  // A follower still on the old term, or the leader itself on another.
  CHECK_FALSE(evaluate_agreement(
                  {view_epoch(0, true, 8), view_epoch(0, false, 7), view_epoch(0, false, 8)}, true)
                  .agreed);
  CHECK_FALSE(evaluate_agreement({view_epoch(0, true, 7), view_epoch(0, false, 8)}, true).agreed);
  // The same leader in a new term is another state: the timeline records it.
  Transition next = t;
  next.epoch = 8;
  CHECK_FALSE(next.same_state(t));
  // A frozen node counts as not live: the survivors agree without it.
  NodeView frozen = view_epoch(0, true, 7);
  frozen.frozen = true;
  const Transition survivors =
      evaluate_agreement({frozen, view_epoch(1, true, 9), view_epoch(1, false, 9)}, true);
  CHECK(survivors.agreed);
  CHECK(survivors.leader == 1);
}

TEST_CASE("node ids sort like their indexes and parse back") {
  CHECK(node_id(7) == "n0007");
  CHECK(node_id(9) < node_id(10));
  CHECK(node_index("n0042", 100) == 42);
  CHECK(node_index("n0042", 42) == kNoNode);
  CHECK(node_index("x0042", 100) == kNoNode);
  CHECK(node_index("n00x2", 100) == kNoNode);
}

TEST_CASE("durations and size lists") {
  CHECK(parse_duration("250ms") == Duration(250ms));
  CHECK(parse_duration("1.5s") == Duration(1500ms));
  CHECK(parse_duration("100us") == Duration(100us));
  CHECK(parse_duration("2m") == Duration(120s));
  CHECK(parse_duration("40") == Duration(40ms));
  CHECK_FALSE(parse_duration("fast").has_value());
  CHECK_FALSE(parse_duration("10parsecs").has_value());
  CHECK(*parse_size_list("3,8, 32") == std::vector<std::size_t>{3, 8, 32});
  CHECK_FALSE(parse_size_list("3,x").has_value());
}

TEST_CASE("options: defaults, lists, handoff expands, bad input is an error with a reason") {
  const auto d = parse({});
  REQUIRE(d.action == ParsedOptions::Action::kRun);
  CHECK(d.options.nodes == std::vector<std::size_t>{3, 8, 32});
  CHECK(d.options.transports == std::vector<std::string>{"sim"});
  CHECK(d.options.scenarios.size() == all_scenarios().size());

  const auto o = parse({"--nodes", "3,8", "--nodes", "128", "--scenario", "handoff", "--profile",
                        "lan,fast", "--election-duration", "40ms", "--runs", "3"});
  REQUIRE(o.action == ParsedOptions::Action::kRun);
  CHECK(o.options.nodes == std::vector<std::size_t>{3, 8, 128});
  CHECK(o.options.scenarios ==
        std::vector<Scenario>{Scenario::kHandoffYield, Scenario::kHandoffStop});
  CHECK(o.options.profiles == std::vector<std::string>{"lan", "fast"});
  CHECK(o.options.timings.election_duration == Duration(40ms));

  CHECK(parse({"--scenario", "meltdown"}).action == ParsedOptions::Action::kError);
  CHECK(parse({"--profile", "warp"}).action == ParsedOptions::Action::kError);
  CHECK(parse({"--nodes", "0"}).action == ParsedOptions::Action::kError);
  CHECK(parse({"--heartbeat", "soon"}).action == ParsedOptions::Action::kError);
  CHECK(parse({"--loss", "1.5"}).action == ParsedOptions::Action::kError);
  CHECK(parse({"--bogus"}).action == ParsedOptions::Action::kError);
  // Overrides that break the profile's own rules are caught up front.
  const auto bad = parse({"--heartbeat", "1s", "--alive-expiration", "500ms"});
  CHECK(bad.action == ParsedOptions::Action::kError);
  CHECK(bad.message.find("--alive-expiration must exceed --heartbeat") != std::string::npos);
  // Timing overrides are the knob table's options, in lanlord's duration grammar.
  const auto forget = parse({"--forget-after", "2s"});
  REQUIRE(forget.action == ParsedOptions::Action::kRun);
  CHECK(forget.options.timings.forget_after == Duration(2s));
  const auto bare = parse({"--heartbeat", "40"});
  CHECK(bare.action == ParsedOptions::Action::kError);
  CHECK(bare.message.find("--heartbeat") != std::string::npos);
}

TEST_CASE("--freeze-duration: parsed, positive only, and freeze is refused in-process") {
  const auto o = parse({"--scenario", "freeze", "--freeze-duration", "1.2s"});
  REQUIRE(o.action == ParsedOptions::Action::kRun);
  CHECK(o.options.scenarios == std::vector<Scenario>{Scenario::kFreeze});
  CHECK(o.options.freeze_duration == Duration(1200ms));
  CHECK_FALSE(parse({}).options.freeze_duration.has_value());
  CHECK(parse({"--freeze-duration", "soon"}).action == ParsedOptions::Action::kError);
  CHECK(parse({"--freeze-duration", "0"}).action == ParsedOptions::Action::kError);
#ifdef LANLORD_BENCH_HAVE_UDP
  const auto in_process = parse({"--transport", "udp", "--scenario", "freeze"});
  CHECK(in_process.action == ParsedOptions::Action::kError);
  CHECK(in_process.message.find("--procs") != std::string::npos);
  CHECK(parse({"--transport", "udp", "--procs", "--scenario", "freeze"}).action ==
        ParsedOptions::Action::kRun);
  // Through "all" it is not named: the udp row is skipped, not refused.
  CHECK(parse({"--transport", "udp", "--scenario", "all"}).action == ParsedOptions::Action::kRun);
#endif
  // The default: a few alive_expirations.
  CHECK(default_freeze_duration(*lanlord::find_profile("fast")) == Duration(750ms));
}

TEST_CASE("--auth: none by default, names checked, udp in-process only") {
  CHECK(parse({}).options.auth == Auth::kNone);
  const auto mac = parse({"--transport", "udp", "--auth", "mac"});
  REQUIRE(mac.action == ParsedOptions::Action::kRun);
  CHECK(mac.options.auth == Auth::kMac);
  CHECK(parse({"--transport", "udp", "--auth", "encrypt"}).options.auth == Auth::kEncrypt);
  // "none" is always fine, the simulator included.
  CHECK(parse({"--auth", "none"}).action == ParsedOptions::Action::kRun);

  const auto bad = parse({"--transport", "udp", "--auth", "hmac"});
  CHECK(bad.action == ParsedOptions::Action::kError);
  CHECK(bad.message.find("unknown --auth 'hmac'") != std::string::npos);
  // The simulator has no bytes to protect; a mixed list is refused whole.
  const auto sim = parse({"--transport", "sim,udp", "--auth", "mac"});
  CHECK(sim.action == ParsedOptions::Action::kError);
  CHECK(sim.message.find("udp transport only") != std::string::npos);
  // The CLI here takes no key, so --procs would measure unkeyed nodes.
  const auto procs = parse({"--transport", "udp", "--procs", "--auth", "encrypt"});
  CHECK(procs.action == ParsedOptions::Action::kError);
  CHECK(procs.message.find("--procs") != std::string::npos);
}

TEST_CASE("--unicast: off by default, in-process udp only") {
  CHECK_FALSE(parse({"--transport", "udp"}).options.unicast);
  const auto on = parse({"--transport", "udp", "--unicast"});
  REQUIRE(on.action == ParsedOptions::Action::kRun);
  CHECK(on.options.unicast);
  for (const std::vector<const char*>& bad : {std::vector<const char*>{"--unicast"},
                                              {"--transport", "sim,udp", "--unicast"},
                                              {"--transport", "udp", "--procs", "--unicast"}}) {
    const auto r = parse(bad);
    CHECK(r.action == ParsedOptions::Action::kError);
    CHECK(r.message.find("--unicast") != std::string::npos);
  }
}

// The etcd backend runs the in-process udp driver's Nodes; every option
// that cannot go with it is refused with a reason naming it.
TEST_CASE("--backend etcd: in-process Nodes only, its options checked") {
  const auto udp = parse({"--transport", "udp"});
  CHECK(udp.options.backend == "udp");
  CHECK(udp.options.etcd_endpoints.empty());
  CHECK(udp.options.lease_ttl == 0);

  // --backend etcd implies the udp transport; endpoints are a comma list.
  const auto etcd = parse({"--backend", "etcd", "--etcd-endpoints",
                           "http://127.0.0.1:1,https://etcd.invalid:2", "--lease-ttl", "5"});
  REQUIRE_MESSAGE(etcd.action == ParsedOptions::Action::kRun, etcd.message);
  CHECK(etcd.options.transports == std::vector<std::string>{"udp"});
  CHECK(etcd.options.backend == "etcd");
  CHECK(etcd.options.etcd_endpoints ==
        std::vector<std::string>{"http://127.0.0.1:1", "https://etcd.invalid:2"});
  CHECK(etcd.options.lease_ttl == 5);

  const std::vector<std::pair<std::vector<const char*>, const char*>> bad = {
      {{"--backend", "raft"}, "unknown --backend 'raft'"},
      {{"--backend", "etcd", "--transport", "sim"}, "--transport udp only"},
      {{"--backend", "etcd", "--transport", "sim,udp"}, "--transport udp only"},
      {{"--backend", "etcd", "--transport", "udp", "--procs"}, "not --procs"},
      {{"--backend", "etcd", "--unicast"}, "--unicast"},
      {{"--backend", "etcd", "--auth", "mac"}, "--auth"},
      {{"--backend", "etcd", "--lease-ttl", "1"}, "at least 2"},
      {{"--backend", "etcd", "--lease-ttl", "-3"}, "at least 2"},
      {{"--backend", "etcd", "--lease-ttl", "2.5"}, "lease-ttl"},
      {{"--backend", "etcd", "--etcd-endpoints", "127.0.0.1:2379"}, "bad --etcd-endpoints"},
      {{"--transport", "udp", "--etcd-endpoints", "http://127.0.0.1:1"},
       "--etcd-endpoints applies to --backend etcd"},
      {{"--transport", "udp", "--lease-ttl", "2"}, "--lease-ttl applies to --backend etcd"},
  };
  for (const auto& [args, reason] : bad) {
    CAPTURE(reason);
    const auto r = parse(args);
    CHECK(r.action == ParsedOptions::Action::kError);
    CHECK(r.message.find(reason) != std::string::npos);
  }
}

TEST_CASE("--steady-window: a positive duration, empty by default") {
  CHECK_FALSE(parse({}).options.steady_window.has_value());
  const auto w = parse({"--steady-window", "5s"});
  REQUIRE(w.action == ParsedOptions::Action::kRun);
  CHECK(w.options.steady_window == Duration(5s));
  CHECK(parse({"--steady-window", "0"}).action == ParsedOptions::Action::kError);
  CHECK(parse({"--steady-window", "later"}).action == ParsedOptions::Action::kError);
}

#ifdef LANLORD_BENCH_HAVE_UDP
// Without --etcd-endpoints the bench starts etcd from PATH: missing, it
// says how to get it before anything runs.
TEST_CASE("--backend etcd without etcd on PATH is refused, unless endpoints are given") {
  const char* old = std::getenv("PATH");
  const std::string saved = old != nullptr ? old : "";
  const std::filesystem::path empty = std::filesystem::temp_directory_path() /
                                      ("lanlord-bench-no-etcd-" + std::to_string(getpid()));
  std::filesystem::create_directories(empty);
  setenv("PATH", empty.c_str(), 1);
  const auto missing = parse({"--backend", "etcd"});
  const auto given = parse({"--backend", "etcd", "--etcd-endpoints", "http://127.0.0.1:1"});
  setenv("PATH", saved.c_str(), 1);
  std::filesystem::remove_all(empty);
  CHECK(missing.action == ParsedOptions::Action::kError);
  CHECK(missing.message.find("etcd not found: run scripts/install-deps.sh") != std::string::npos);
  CHECK(given.action == ParsedOptions::Action::kRun);
}
#endif

TEST_CASE("--help documents every option and the formulas") {
  const auto h = parse({"--help"});
  REQUIRE(h.action == ParsedOptions::Action::kHelp);
  for (const char* opt : {"--scenario",
                          "--transport",
                          "--nodes",
                          "--runs",
                          "--profile",
                          "--seed",
                          "--timeout",
                          "--heartbeat",
                          "--alive-expiration",
                          "--startup-grace",
                          "--sample-interval",
                          "--leader-alive",
                          "--election-duration",
                          "--fast-failover",
                          "--no-fast-failover",
                          "--loss",
                          "--delay",
                          "--jitter",
                          "--procs",
                          "--lanlord",
                          "--io-threads",
                          "--auth",
                          "--backend",
                          "--etcd-endpoints",
                          "--lease-ttl",
                          "--steady-window",
                          "--input",
                          "--churn-rate",
                          "--churn-duration",
                          "--churn-crash",
                          "--json",
                          "--csv",
                          "--plot",
                          "--quiet"}) {
    CAPTURE(opt);
    CHECK(h.message.find(opt) != std::string::npos);
  }
  CHECK(h.message.find("2*T_alive + T_elect") != std::string::npos);
  CHECK(h.message.find("nearest-rank") != std::string::npos);
  // What a benchmark leaves on an etcd it is given.
  CHECK(h.message.find("/lanlord/<random") != std::string::npos);
  CHECK(h.message.find("etcd req/s/node") != std::string::npos);
}

TEST_CASE("Fabric figures on the fast profile's timings") {
  const auto fast = *lanlord::find_profile("fast");  // grace 1s, alive 1s, election 100ms
  CHECK(fabric_figure(Scenario::kStartup, fast, 1ms).ms == doctest::Approx(1100));
  CHECK(fabric_figure(Scenario::kFailover, fast, 1ms).ms == doctest::Approx(2100));
  CHECK(fabric_figure(Scenario::kHandoffYield, fast, 1ms).ms == doctest::Approx(1600));
  CHECK(fabric_figure(Scenario::kHandoffStop, fast, 1ms).ms == doctest::Approx(2100));
  CHECK(fabric_figure(Scenario::kHeal, fast, 1ms).ms == doctest::Approx(501));
  // lanlord's own bounds: dead after 250ms + election 100ms + d.
  CHECK(lanlord_bound(Scenario::kFailover, fast, 1ms)->ms == doctest::Approx(351));
  CHECK(lanlord_bound(Scenario::kHandoffStop, fast, 1ms)->ms == doctest::Approx(101));
  CHECK_FALSE(lanlord_bound(Scenario::kHeal, fast, 1ms).has_value());
}

TEST_CASE("a JSON row parses back with the fields the issue asks for") {
  Row r;
  r.scenario = "failover";
  r.transport = "sim";
  r.profile = "fast";
  r.nodes = 32;
  r.runs = 20;
  r.conv = summarize({310, 320, 330});
  r.fabric_ms = 2100;
  r.first_failure = "quote \" and backslash \\";
  const std::string line = to_json(r);
  nlohmann::json obj;
  REQUIRE(lanlord::app::parse_json_object(line, obj));
  for (const char* key : {"scenario", "nodes", "runs", "profile", "transport", "p50_ms", "p95_ms",
                          "p99_ms", "max_ms", "failed", "fabric_ms"}) {
    CAPTURE(key);
    CHECK(obj.contains(key));
  }
  CHECK(line.find("\"p50_ms\":320,") != std::string::npos);
  CHECK(obj["cpu_pct_per_node"].is_null());
  CHECK(obj["first_failure"] == r.first_failure);
  // CSV: as many fields as the header.
  const auto count = [](const std::string& s) {
    std::size_t n = 1;
    bool quoted = false;
    for (char c : s) {
      if (c == '"') quoted = !quoted;
      if (c == ',' && !quoted) ++n;
    }
    return n;
  };
  CHECK(count(to_csv(r)) == count(csv_header()));
  // --input reads the same line back into the same row.
  const auto back = row_from_json(to_json(r));
  REQUIRE(back.has_value());
  CHECK(to_json(*back) == to_json(r));
  CHECK_FALSE(row_from_json("{\"event\":\"leader\"}").has_value());
}

TEST_CASE("a freeze row's step-down and stale-claim figures go out and back") {
  Row r;
  r.scenario = "freeze";
  r.transport = "udp-procs";
  r.nodes = 32;
  r.freeze_ms = 900;
  Summary st;
  st.p50 = 0.5;
  st.p95 = 1.5;
  st.max = 2.25;
  st.min = 0.25;
  r.stepdown = st;
  r.stale_claims = 0;
  r.stale_claim_runs = 0;
  const auto back = row_from_json(to_json(r));
  REQUIRE(back.has_value());
  REQUIRE(back->stepdown.has_value());
  CHECK(back->stepdown->p50 == 0.5);
  CHECK(back->stepdown->max == 2.25);
  CHECK(back->freeze_ms == 900);
  CHECK(back->stale_claims == 0);
  CHECK(to_json(*back) == to_json(r));
  // Rows of other scenarios carry nulls there.
  Row other;
  other.scenario = "startup";
  CHECK(to_json(other).find("\"stepdown_p50_ms\":null") != std::string::npos);
}

TEST_CASE("a sim row's simulator cost goes out and back, and other rows carry nulls") {
  Row r;
  r.scenario = "churn";
  r.transport = "sim";
  r.nodes = 1000;
  r.wall_s = 12.5;
  r.virtual_s = 63.0;
  r.deliveries = 60e6;
  r.ns_per_delivery = 208.25;
  const auto back = row_from_json(to_json(r));
  REQUIRE(back.has_value());
  CHECK(back->deliveries == 60e6);
  CHECK(back->ns_per_delivery == 208.25);
  CHECK(to_json(*back) == to_json(r));
  std::ostringstream table;
  print_table(table, {r});
  CHECK(table.str().find("5.04x real time, 208 ns/delivery") != std::string::npos);
  Row udp;
  udp.transport = "udp";
  CHECK(to_json(udp).find("\"ns_per_delivery\":null") != std::string::npos);
}

TEST_CASE("a row's auth mode goes out and back, and rows saved before it read as none") {
  Row r;
  r.scenario = "startup";
  r.transport = "udp";
  r.nodes = 5;
  r.auth = "encrypt";
  const auto back = row_from_json(to_json(r));
  REQUIRE(back.has_value());
  CHECK(back->auth == "encrypt");
  // auth is the column after first_failure, and columns added later
  // (the freeze figures) come after it, so older CSV columns keep their places.
  const std::string header = csv_header();
  CHECK(header.find(",first_failure,auth,freeze_ms,") != std::string::npos);
  CHECK(to_csv(r).find(",encrypt,") != std::string::npos);
  std::ostringstream table;
  print_table(table, {r});
  CHECK(table.str().find("auth encrypt") != std::string::npos);
  const auto old = row_from_json(R"({"scenario":"startup","nodes":5,"transport":"udp"})");
  REQUIRE(old.has_value());
  CHECK(old->auth == "none");
}

TEST_CASE("an etcd row's request rates and lease TTL go out and back, and other rows carry nulls") {
  Row r;
  r.scenario = "startup";
  r.transport = "udp-etcd";
  r.nodes = 16;
  r.etcd_requests = 1.5;
  r.etcd_errors = 0;
  r.etcd_keepalives = 1.5;
  r.etcd_watch_events = 0.25;
  r.lease_ttl_s = 2;
  r.etcd_leases_lost = 0.5;
  const std::string line = to_json(r);
  CHECK(line.find("\"etcd_requests_per_node_s\":1.5") != std::string::npos);
  CHECK(line.find("\"lease_ttl_s\":2") != std::string::npos);
  CHECK(line.find("\"dgrams_out_per_node_s\":null") != std::string::npos);
  const auto back = row_from_json(line);
  REQUIRE(back.has_value());
  CHECK(back->etcd_requests == 1.5);
  CHECK(back->etcd_watch_events == 0.25);
  CHECK(back->lease_ttl_s == 2);
  CHECK(back->etcd_leases_lost == 0.5);
  CHECK(to_json(*back) == line);
  // The etcd columns come after every older one.
  CHECK(csv_header().find(",ns_per_delivery,etcd_requests_per_node_s,") != std::string::npos);
  std::ostringstream table;
  print_table(table, {r});
  CHECK(table.str().find("etcd req/s/node") != std::string::npos);
  CHECK(table.str().find("1.50  lease TTL 2s; leases lost 0.5/run") != std::string::npos);
  Row udp;
  udp.transport = "udp";
  CHECK(to_json(udp).find("\"etcd_requests_per_node_s\":null") != std::string::npos);
  // Sorted after the other in-process rows.
  std::vector<Row> rows(3);
  rows[0].transport = "udp-etcd";
  rows[1].transport = "udp-unicast";
  rows[2].transport = "udp";
  sort_rows(rows);
  CHECK(rows[0].transport == "udp");
  CHECK(rows[2].transport == "udp-etcd");
}

TEST_CASE("--input takes rows only: not the CLI's events, text or cut-short lines") {
  CHECK_FALSE(
      row_from_json(R"({"ts":"2024-01-01T00:00:00.000Z","event":"leader","node":"n0001",)"
                    R"("channel":"bench","leader":null,"is_self":false,"extra":{"a":[1,2]}})")
          .has_value());
  CHECK_FALSE(row_from_json("lanlord: cannot bind").has_value());
  CHECK_FALSE(row_from_json(R"({"scenario":"startup","nodes":3)").has_value());
  // Escapes, nested values and fields it does not know are fine.
  const auto r = row_from_json(
      R"({"scenario":"heal","nodes":3,"first_failure":"tab\there \u00e9","future":{"x":[1]}})");
  REQUIRE(r.has_value());
  CHECK(r->first_failure == "tab\there \xc3\xa9");
  CHECK(r->nodes == 3);
  CHECK(r->fast_failover);  // absent: the default
}

TEST_CASE("the plot script has one panel per scenario and Fabric's line") {
  Row a;
  a.scenario = "failover";
  a.transport = "sim";
  a.profile = "fast";
  a.nodes = 8;
  a.conv = summarize({300, 350});
  a.fabric_ms = 2100;
  Row b = a;
  b.nodes = 32;
  Row c = a;
  c.scenario = "startup";
  const std::string gp = gnuplot_script({a, b, c}, "out.svg", "test", "out.gp");
  CHECK(gp.find("set title 'failover'") != std::string::npos);
  CHECK(gp.find("set title 'startup'") != std::string::npos);
  CHECK(gp.find("'Fabric''s algorithm, fast timings'") != std::string::npos);  // gnuplot quoting
  CHECK(gp.find("set output 'out.svg'") != std::string::npos);
}

TEST_CASE("the plot script is its template with every placeholder filled") {
  Row a;
  a.scenario = "heal";
  a.transport = "udp";
  a.profile = "lan";
  a.nodes = 3;
  a.conv = summarize({120});
  a.fabric_ms = 2501;
  const std::string gp = gnuplot_script({a}, "it's.svg", "say \"hi\"", "it's.gp");
  CHECK(gp.find("{{") == std::string::npos);
  CHECK(gp.find("#%") == std::string::npos);  // template comments are dropped
  CHECK(gp.rfind("# Written by lanlord-bench --plot; redraw with: gnuplot 'it''s.gp'\n", 0) == 0);
  CHECK(gp.find("{/*0.8 say \\\"hi\\\"; points: median") != std::string::npos);
  CHECK(gp.find("set xtics (3)\n") != std::string::npos);
  REQUIRE_FALSE(gp.empty());
  CHECK(gp.back() == '\n');
  CHECK(gp.find("\n\n") == std::string::npos);  // empty blocks leave no blank lines
}

TEST_CASE("template filling: inline values, whole-line blocks, comments, missing values") {
  const std::map<std::string, std::string> values = {{"a", "1"}, {"lines", "x\ny\n"}, {"none", ""}};
  CHECK(fill_template("v={{a}}, {{a}}\n", values) == "v=1, 1\n");
  CHECK(fill_template("begin\n{{lines}}\n{{none}}\nend\n", values) == "begin\nx\ny\nend\n");
  CHECK(fill_template("#% dropped\nkept # not dropped\n", values) == "kept # not dropped\n");
  CHECK(fill_template("{/*0.8 {{a}}}\n", values) == "{/*0.8 1}\n");
  CHECK(fill_template("no newline {{a}}", values) == "no newline 1");
  CHECK_THROWS_AS(fill_template("{{missing}}\n", values), std::logic_error);
}

// Scenario: the simulator replays a run exactly from its seed.
TEST_CASE("sim runs are deterministic: the same seed gives the same times") {
  for (Scenario s : all_scenarios()) {
    CAPTURE(scenario_name(s));
    std::vector<double> first;
    for (int attempt = 0; attempt < 2; ++attempt) {
      SimDriver d(sim_params("fast", 7));
      lanlord::sim::Rng rng(7);
      const RunResult r = run_scenario(s, 5, d, scenario_params("fast"), rng);
      REQUIRE_MESSAGE(r.ok, r.failure);
      if (attempt == 0)
        first = r.samples_ms;
      else
        CHECK(r.samples_ms == first);
    }
  }
}

// Scenario: on the fast profile a crashed leader is replaced within
// lanlord's bound (dead after 250ms, election 100ms, a few ms of delivery),
// far inside Fabric's 2.1s on the same timings.
TEST_CASE("sim failover stays within lanlord's bound") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    SimDriver d(sim_params("fast", seed));
    lanlord::sim::Rng rng(seed);
    const RunResult r = run_scenario(Scenario::kFailover, 8, d, scenario_params("fast"), rng);
    REQUIRE_MESSAGE(r.ok, r.failure);
    REQUIRE(r.samples_ms.size() == 1);
    CHECK(r.samples_ms[0] > 0);
    CHECK(r.samples_ms[0] <= 250 + 100 + 2 * 2 + 1);
  }
}

// Scenario: a graceful stop or a yield names the successor, which declares
// at once: the handoff takes two deliveries (the handoff, then the
// declaration; 1 ms links), no election.
TEST_CASE("sim handoff-stop and handoff-yield take two deliveries, no election") {
  for (Scenario s : {Scenario::kHandoffStop, Scenario::kHandoffYield}) {
    CAPTURE(scenario_name(s));
    // Without jitter: a Leave that overtakes the handoff makes the
    // successor elect instead (README, findings).
    SimParams sp = sim_params("fast", 3);
    sp.faults.jitter = Duration::zero();
    SimDriver d(sp);
    lanlord::sim::Rng rng(3);
    const RunResult r = run_scenario(s, 8, d, scenario_params("fast"), rng);
    REQUIRE_MESSAGE(r.ok, r.failure);
    CHECK(r.samples_ms.at(0) > 0);
    CHECK(r.samples_ms.at(0) <= 2 * 2 + 1);
    // The successor (the next lowest id) leads in a new epoch.
    const Transition t = d.state();
    CHECK(t.leader == 1);
    CHECK(t.epoch != 0);
  }
}

// Scenario: the agreed leader freezes for 3 x alive_expiration; the
// survivors replace it as after a crash, and on waking it steps down at
// once, before sending any declaration with its old epoch.
TEST_CASE("sim freeze: survivors replace the leader and it steps down at the thaw") {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    SimDriver d(sim_params("fast", seed));
    lanlord::sim::Rng rng(seed);
    const RunResult r = run_scenario(Scenario::kFreeze, 8, d, scenario_params("fast"), rng);
    REQUIRE_MESSAGE(r.ok, r.failure);
    REQUIRE(r.samples_ms.size() == 1);
    CHECK(r.samples_ms[0] <= 250 + 100 + 2 * 2 + 1);
    REQUIRE(r.stepdown_ms.has_value());
    CHECK(*r.stepdown_ms <= 5);
    CHECK(r.stale_claims == 0);
    const Transition t = d.state();
    CHECK(t.agreed);
    CHECK(t.leader != 0);  // node 0 led and froze; another took over and keeps it
  }
  // A freeze shorter than a failover leaves the survivors no time: a failed run, with why.
  SimDriver d(sim_params("fast", 1));
  lanlord::sim::Rng rng(1);
  ScenarioParams p = scenario_params("fast");
  p.freeze_duration = 50ms;
  const RunResult r = run_scenario(Scenario::kFreeze, 5, d, p, rng);
  CHECK_FALSE(r.ok);
  CHECK(r.failure.find("--freeze-duration") != std::string::npos);
}

// A driver that can do nothing (every call counted): what a scenario does
// before it touches the cluster.
class IdleDriver final : public ClusterDriver {
 public:
  std::size_t add_node(int) override {
    ++calls;
    return kNoNode;
  }
  void crash(std::size_t) override { ++calls; }
  void leave(std::size_t) override { ++calls; }
  void rejoin(std::size_t) override { ++calls; }
  bool yield(std::size_t) override { return false; }
  bool can_yield() const override { return true; }
  void heal() override { ++calls; }
  bool can_heal() const override { return false; }
  std::size_t size() const override { return 0; }
  bool live(std::size_t) const override { return false; }
  Duration now() const override { return Duration::zero(); }
  void run_for(Duration) override {}
  std::optional<Duration> wait_agreed(Duration) override { return std::nullopt; }
  Transition state() override { return {}; }
  std::vector<Transition> timeline() const override { return {}; }
  Usage usage() override { return {}; }
  std::string error() const override { return {}; }
  int calls = 0;
};

// Scenario: on etcd there are no halves (a node cut off from etcd loses
// its lease): heal is skipped, saying why, before any node starts.
TEST_CASE("heal is skipped, with the reason, on a driver that cannot split the cluster") {
  IdleDriver d;
  lanlord::sim::Rng rng(1);
  const RunResult r = run_scenario(Scenario::kHeal, 4, d, scenario_params("fast"), rng);
  CHECK(r.skipped);
  CHECK_FALSE(r.ok);
  CHECK(r.failure.find("loses its lease") != std::string::npos);
  CHECK(d.calls == 0);
}

// Scenario: heal starts from two agreed halves and ends with one leader,
// node 0 (the lowest id overall).
TEST_CASE("sim heal ends with the lowest id leading everyone") {
  SimDriver d(sim_params("fast", 5));
  lanlord::sim::Rng rng(5);
  const RunResult r = run_scenario(Scenario::kHeal, 6, d, scenario_params("fast"), rng);
  REQUIRE_MESSAGE(r.ok, r.failure);
  const Transition t = d.state();
  CHECK(t.agreed);
  CHECK(t.leader == 0);
}

// Scenario: churn without crashes or loss declares nobody dead falsely.
TEST_CASE("sim churn of graceful leaves has no false deaths") {
  SimDriver d(sim_params("fast", 11));
  lanlord::sim::Rng rng(11);
  ScenarioParams p = scenario_params("fast");
  p.churn_crash = 0;
  p.churn_rate = 4;
  const RunResult r = run_scenario(Scenario::kChurn, 8, d, p, rng);
  REQUIRE_MESSAGE(r.ok, r.failure);
  CHECK(r.churn_events > 0);
  CHECK(r.steady_after.false_deaths == 0);
  CHECK(r.steady_after.deaths == 0);
}

#ifdef LANLORD_BENCH_HAVE_UDP
TEST_CASE("--auth reaches every node's config: one key per run, shared by its nodes") {
  UdpParams p;
  p.profile_name = "fast";
  const UdpNetwork net = pick_network(1);
  CHECK_FALSE(run_keys(Auth::kNone).has_value());
  const auto none = udp_node_config(p, net, 0, 0, run_keys(Auth::kNone));
  CHECK_FALSE(none.keys.has_value());
  CHECK_FALSE(none.encrypt);

  p.auth = Auth::kMac;
  const auto keys = run_keys(p.auth);
  REQUIRE(keys.has_value());
  const auto a = udp_node_config(p, net, 0, 0, keys);
  const auto b = udp_node_config(p, net, 1, 1, keys);
  REQUIRE(a.keys.has_value());
  REQUIRE(b.keys.has_value());
  CHECK(a.keys->ids() == b.keys->ids());
  CHECK_FALSE(a.encrypt);
  CHECK(a.interface_name == "lo");                    // network safety: loopback only
  CHECK(run_keys(Auth::kMac)->ids() != keys->ids());  // a new key per run

  p.auth = Auth::kEncrypt;
  const auto enc = udp_node_config(p, net, 0, 0, run_keys(p.auth));
  CHECK(enc.keys.has_value());
  CHECK(enc.encrypt);
}

TEST_CASE("--backend etcd reaches every node's config: endpoints, TTL, no keys") {
  UdpParams p;
  p.profile_name = "fast";
  p.backend = lanlord::Backend::kEtcd;
  p.etcd_endpoints = {"http://127.0.0.1:1"};
  p.lease_ttl = 3;
  p.auth = Auth::kMac;  // refused by the options; ignored here
  const UdpNetwork net = pick_network(1);
  const auto c = udp_node_config(p, net, 4, 0, run_keys(Auth::kMac));
  CHECK(c.backend == lanlord::Backend::kEtcd);
  CHECK(c.etcd.endpoints == p.etcd_endpoints);
  CHECK(c.etcd.lease_ttl == 3);
  CHECK(c.id == node_id(4));
  CHECK(c.cluster == net.cluster);  // a random cluster per run: its own prefix in etcd
  CHECK_FALSE(c.keys.has_value());
  CHECK_FALSE(c.encrypt);
  CHECK(lanlord::validate_config(c));
}

TEST_CASE("node stats sum the etcd counters like the datagram counters") {
  lanlord::NodeStats a, b;
  a.datagrams_out = 2;
  a.etcd.enabled = true;
  a.etcd.requests = 10;
  a.etcd.request_errors = 1;
  a.etcd.keepalives = 6;
  a.etcd.watch_events = 4;
  a.etcd.campaigns = 1;
  a.etcd.leases_granted = 1;
  b.etcd.requests = 5;
  b.etcd.keepalives = 3;
  b.etcd.watch_events = 2;
  b.etcd.leases_lost = 1;
  b.etcd.watch_restarts = 2;
  lanlord::NodeStats sum;
  add_stats(sum, a);
  add_stats(sum, b);
  CHECK(sum.datagrams_out == 2);
  CHECK(sum.etcd.enabled);
  CHECK(sum.etcd.requests == 15);
  CHECK(sum.etcd.request_errors == 1);
  CHECK(sum.etcd.keepalives == 9);
  CHECK(sum.etcd.watch_events == 6);
  CHECK(sum.etcd.campaigns == 1);
  CHECK(sum.etcd.leases_granted == 1);
  CHECK(sum.etcd.leases_lost == 1);
  CHECK(sum.etcd.watch_restarts == 2);
}

TEST_CASE("--unicast gives node i its own loopback port and its side's first node as its seed") {
  UdpParams p;
  p.profile_name = "fast";
  p.unicast = true;
  const UdpNetwork net = pick_network(1);
  const std::uint16_t base = net.side[0].port;
  const auto a = udp_node_config(p, net, 0, 0, std::nullopt);
  const auto c = udp_node_config(p, net, 2, 0, std::nullopt);
  CHECK_FALSE(a.multicast);
  CHECK(a.interface_name == "127.0.0.1");  // network safety: loopback only
  CHECK(a.port == base);
  CHECK(c.port == base + 2);
  CHECK(a.peers == std::vector<std::string>{"127.0.0.1:" + std::to_string(base + 2)});
  CHECK(c.peers == std::vector<std::string>{"127.0.0.1:" + std::to_string(base)});
  // The heal scenario's second half: node 1 first, with the relay.
  UdpNetwork halves = net;
  halves.relay_port = 40000;
  const auto b = udp_node_config(p, halves, 1, 1, std::nullopt);
  const auto d = udp_node_config(p, halves, 3, 1, std::nullopt);
  CHECK(b.peers ==
        std::vector<std::string>{"127.0.0.1:" + std::to_string(base + 3), "127.0.0.1:40000"});
  CHECK(d.peers ==
        std::vector<std::string>{"127.0.0.1:" + std::to_string(base + 1), "127.0.0.1:40000"});
}

// Real sockets (loopback): from the command line through the driver
// factory to the wire. On the lan profile one node alone sends only its
// first heartbeat in its first 250 ms (the next is 1 s later, a
// declaration later still), so bytes per datagram is a heartbeat's size,
// and the trailers are exactly the codec's: MAC 20 bytes, encryption 44.
TEST_CASE("--auth on the wire: heartbeats grow by the MAC or the encryption trailer") {
  const auto heartbeat_bytes = [](const char* auth) {
    const auto parsed = parse({"--transport", "udp", "--profile", "lan", "--auth", auth});
    REQUIRE(parsed.action == ParsedOptions::Action::kRun);
    lanlord::Profile profile;
    REQUIRE(resolve_profile("lan", parsed.options, profile));
    std::string error;
    auto driver = default_driver_factory(parsed.options)("udp", "lan", profile, 1, 7, error);
    REQUIRE(driver != nullptr);
    REQUIRE(driver->add_node(0) != kNoNode);
    driver->run_for(250ms);
    const Usage u = driver->usage();
    REQUIRE(u.datagrams_out > 0);
    return static_cast<double>(u.bytes_out) / static_cast<double>(u.datagrams_out);
  };
  const double plain = heartbeat_bytes("none");
  CHECK(heartbeat_bytes("mac") == doctest::Approx(plain + 20));
  CHECK(heartbeat_bytes("encrypt") == doctest::Approx(plain + 44));
}
#endif
