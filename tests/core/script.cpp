#include "script.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "scenario.hpp"

namespace lanlord::test {

namespace {

using namespace std::chrono_literals;

// A failed expectation or a bad line; run_script turns it into file:line.
struct ScriptError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The core tests cannot link the cli's duration grammar, so a minimal one:
// an integer and a unit.
Duration parse_duration(const std::string& text) {
  std::int64_t n = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, n);
  const std::string unit(p, end);
  if (ec != std::errc{} || p == text.data() || n < 0) {
    throw ScriptError("bad duration '" + text + "' (want e.g. 500ms, 2s)");
  }
  if (unit == "ns") return std::chrono::nanoseconds(n);
  if (unit == "us") return std::chrono::microseconds(n);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "s") return std::chrono::seconds(n);
  throw ScriptError("bad duration unit in '" + text + "' (ns, us, ms or s)");
}

double parse_probability(const std::string& text) {
  std::size_t used = 0;
  double p = -1;
  try {
    p = std::stod(text, &used);
  } catch (const std::exception&) {
  }
  if (used != text.size() || p < 0 || p > 1) {
    throw ScriptError("bad probability '" + text + "' (want 0..1)");
  }
  return p;
}

std::string ms(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + "ms";
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out.empty() ? "none" : out;
}

class Runner {
 public:
  void execute(const std::vector<std::string>& words) {
    const std::string& cmd = words[0];
    const std::vector<std::string> args(words.begin() + 1, words.end());
    const auto it = commands().find(cmd);
    if (it == commands().end()) {
      std::string known;
      for (const auto& [name, c] : commands()) known += (known.empty() ? "" : ", ") + name;
      throw ScriptError("unknown command '" + cmd + "' (commands: " + known + ")");
    }
    const Command& c = it->second;
    if (args.size() < c.min_args || args.size() > c.max_args) {
      throw ScriptError(cmd + ": wrong number of arguments (usage: " + c.usage + ")");
    }
    (this->*c.run)(args);
  }

  void finish() {
    if (cluster_) check_no_violations();
  }

  int expectations() const { return expectations_; }
  std::string state() { return cluster_ ? describe_cluster(*cluster_) : "no cluster yet\n"; }

 private:
  struct Command {
    void (Runner::*run)(const std::vector<std::string>&);
    std::size_t min_args;
    std::size_t max_args;
    std::string usage;
  };
  static constexpr std::size_t kMany = 1000;

  static const std::map<std::string, Command>& commands() {
    static const std::map<std::string, Command> table = {
        {"profile", {&Runner::profile, 1, 1, "profile fast|lan|fabric|fabric-test"}},
        {"seed", {&Runner::seed, 1, 1, "seed N"}},
        {"drop", {&Runner::drop, 1, 1, "drop P"}},
        {"duplicate", {&Runner::duplicate, 1, 1, "duplicate P"}},
        {"delay", {&Runner::delay, 1, 2, "delay D [JITTER]"}},
        {"spawn", {&Runner::spawn, 1, kMany, "spawn ID..."}},
        {"crash", {&Runner::crash, 1, kMany, "crash ID..."}},
        {"restart", {&Runner::restart, 1, kMany, "restart ID..."}},
        {"leave", {&Runner::leave, 1, kMany, "leave ID..."}},
        {"yield", {&Runner::yield, 1, 1, "yield ID"}},
        {"partition", {&Runner::partition, 1, kMany, "partition A B | C D"}},
        {"heal", {&Runner::heal, 0, 0, "heal"}},
        {"run", {&Runner::run, 1, 1, "run D"}},
        {"await-leader", {&Runner::await_leader, 2, 2, "await-leader ID D"}},
        {"expect-leader", {&Runner::expect_leader, 1, 1, "expect-leader ID|none"}},
        {"expect-leaders", {&Runner::expect_leaders, 1, kMany, "expect-leaders ID..."}},
        {"expect-stable", {&Runner::expect_stable, 1, 1, "expect-stable D"}},
        {"expect-view", {&Runner::expect_view, 2, kMany, "expect-view ID PEER...|none"}},
        {"expect-rhythm", {&Runner::expect_rhythm, 2, 2, "expect-rhythm ID D"}},
    };
    return table;
  }

  // --- setup ---------------------------------------------------------------

  void before_cluster(const std::string& what) {
    if (cluster_) throw ScriptError(what + " must come before the first spawn");
  }
  void profile(const std::vector<std::string>& a) {
    before_cluster("profile");
    if (a[0] == "fabric-test") {
      profile_ = fabric_test_profile();
    } else if (auto p = find_profile(a[0])) {
      profile_ = *p;
    } else {
      throw ScriptError("unknown profile '" + a[0] + "' (fast, lan, fabric, fabric-test)");
    }
  }
  void seed(const std::vector<std::string>& a) {
    before_cluster("seed");
    const auto [p, ec] = std::from_chars(a[0].data(), a[0].data() + a[0].size(), seed_);
    if (ec != std::errc{} || p != a[0].data() + a[0].size()) {
      throw ScriptError("bad seed '" + a[0] + "'");
    }
  }
  void set_faults() {
    if (cluster_) cluster_->network().set_default_faults(faults_);
  }
  void drop(const std::vector<std::string>& a) {
    faults_.loss = parse_probability(a[0]);
    set_faults();
  }
  void duplicate(const std::vector<std::string>& a) {
    faults_.duplicate = parse_probability(a[0]);
    set_faults();
  }
  void delay(const std::vector<std::string>& a) {
    faults_.delay = parse_duration(a[0]);
    faults_.jitter = a.size() > 1 ? parse_duration(a[1]) : Duration::zero();
    set_faults();
  }

  sim::SimCluster& cluster() {
    if (!cluster_) {
      sim::SimClusterOptions o;
      o.profile = profile_;
      o.seed = seed_;
      o.faults = faults_;
      cluster_ = std::make_unique<sim::SimCluster>(std::move(o));
    }
    return *cluster_;
  }
  std::size_t node(const std::string& id) {
    const auto i = cluster().index_of(id);
    if (!i) throw ScriptError("unknown node '" + id + "' (spawn it first)");
    return *i;
  }

  // --- faults and commands -------------------------------------------------

  void spawn(const std::vector<std::string>& a) {
    for (const auto& id : a) {
      if (cluster().index_of(id)) throw ScriptError("spawn: '" + id + "' already exists");
      cluster().spawn(id);
    }
  }
  void crash(const std::vector<std::string>& a) {
    for (const auto& id : a) cluster().crash(node(id));
  }
  void restart(const std::vector<std::string>& a) {
    for (const auto& id : a) cluster().restart(node(id));
  }
  void leave(const std::vector<std::string>& a) {
    for (const auto& id : a) cluster().leave(node(id));
  }
  void yield(const std::vector<std::string>& a) {
    const std::size_t i = node(a[0]);
    if (!cluster().running(i)) throw ScriptError("yield: '" + a[0] + "' is not running");
    cluster().yield(i);
  }
  void partition(const std::vector<std::string>& a) {
    std::vector<std::vector<std::size_t>> groups(1);
    for (const auto& w : a) {
      if (w == "|") {
        groups.emplace_back();
      } else {
        groups.back().push_back(node(w));
      }
    }
    cluster().partition(groups);
  }
  void heal(const std::vector<std::string>&) { cluster().heal(); }
  void run(const std::vector<std::string>& a) { cluster().run_for(parse_duration(a[0])); }

  // --- expectations --------------------------------------------------------

  void check_no_violations() {
    const auto& v = cluster().violations();
    if (!v.empty()) throw ScriptError("safety violation: " + v.front());
  }
  void held() {
    check_no_violations();
    ++expectations_;
  }

  // Why `expect-leader id` does not hold now; empty when it does.
  std::string leader_mismatch(const std::string& id) {
    sim::SimCluster& c = cluster();
    const auto leaders = c.leader_ids();
    if (id == "none") {
      return leaders.empty() ? "" : "expected no leader, but " + join(leaders) + " lead";
    }
    if (leaders != std::vector<std::string>{id}) {
      return "expected " + id + " as the only leader, but the leaders are: " + join(leaders);
    }
    for (std::size_t i = 0; i < c.size(); ++i) {
      if (!c.running(i)) continue;
      const auto l = c.core(i).leader(c.channel());
      if (!l || l->bytes() != id) {
        return c.id(i).bytes() + " names " + (l ? l->bytes() : "nobody") + ", not " + id;
      }
    }
    return {};
  }
  void expect_leader(const std::vector<std::string>& a) {
    if (std::string why = leader_mismatch(a[0]); !why.empty()) throw ScriptError(why);
    held();
  }
  void await_leader(const std::vector<std::string>& a) {
    const Duration limit = parse_duration(a[1]);
    if (!cluster().run_until([&] { return leader_mismatch(a[0]).empty(); }, limit)) {
      throw ScriptError("no agreement on " + a[0] + " within " + ms(limit) + ": " +
                        leader_mismatch(a[0]));
    }
    held();
  }
  void expect_leaders(const std::vector<std::string>& a) {
    sim::SimCluster& c = cluster();
    std::vector<std::string> found;
    for (const auto& component : c.components()) {
      std::vector<std::string> leaders;
      for (auto i : component) {
        if (c.core(i).is_leader(c.channel())) leaders.push_back(c.id(i).bytes());
      }
      std::vector<std::string> members;
      for (auto i : component) members.push_back(c.id(i).bytes());
      if (leaders.size() != 1) {
        throw ScriptError("the component {" + join(members) + "} has " +
                          std::to_string(leaders.size()) + " leaders: " + join(leaders));
      }
      for (auto i : component) {
        const auto l = c.core(i).leader(c.channel());
        if (!l || l->bytes() != leaders[0]) {
          throw ScriptError(c.id(i).bytes() + " names " + (l ? l->bytes() : "nobody") +
                            " but its component's leader is " + leaders[0]);
        }
      }
      found.push_back(leaders[0]);
    }
    std::vector<std::string> want = a;
    std::sort(want.begin(), want.end());
    std::sort(found.begin(), found.end());
    if (found != want) {
      throw ScriptError("expected the leaders " + join(want) + ", but they are " + join(found));
    }
    held();
  }
  void expect_stable(const std::vector<std::string>& a) {
    sim::SimCluster& c = cluster();
    const auto before = c.leader_ids();
    const TimePoint start = c.now();
    if (leader_set_changes(c, parse_duration(a[0]))) {
      throw ScriptError("the leaders changed from " + join(before) + " to " + join(c.leader_ids()) +
                        " after " + ms(c.now() - start));
    }
    held();
  }
  void expect_view(const std::vector<std::string>& a) {
    sim::SimCluster& c = cluster();
    const std::size_t i = node(a[0]);
    if (!c.running(i)) throw ScriptError("expect-view: '" + a[0] + "' is not running");
    std::vector<std::string> view;
    for (const auto& p : c.core(i).membership().alive_peers()) view.push_back(p.bytes());
    std::vector<std::string> want;
    if (!(a.size() == 2 && a[1] == "none")) want.assign(a.begin() + 1, a.end());
    std::sort(want.begin(), want.end());
    if (view != want) {
      throw ScriptError(a[0] + " sees " + join(view) + " alive, not " + join(want));
    }
    held();
  }
  void expect_rhythm(const std::vector<std::string>& a) {
    sim::SimCluster& c = cluster();
    const std::size_t i = node(a[0]);
    const Duration window = parse_duration(a[1]);
    // Fabric's rhythm, from the threshold itself rather than from
    // ElectionConfig::declaration_interval(), which is what is under test.
    const Duration interval = c.profile().election.leader_alive_threshold / 2;
    if (window < 2 * interval) {
      throw ScriptError("expect-rhythm: the window must span two declaration intervals (" +
                        ms(2 * interval) + ")");
    }
    const TimePoint from = c.now() - window;
    // With repeat_declaration the first declaration of a term is followed
    // by two repeats a quarter election apart: they are not the rhythm.
    const ElectionConfig& e = c.profile().election;
    const Duration repeat = e.leader_election_duration / 4;
    std::vector<TimePoint> times;
    std::optional<TimePoint> previous;
    for (TimePoint t : c.record(i).declaration_times) {
      const bool repeated = e.repeat_declaration && previous && t - *previous == repeat;
      previous = t;
      if (t >= from && !repeated) times.push_back(t);
    }
    // Throughout the window: no silence longer than one interval at either end.
    const auto expected = static_cast<std::size_t>(window / interval);
    if (times.size() < expected) {
      throw ScriptError(a[0] + " declared " + std::to_string(times.size()) + " times in the last " +
                        ms(window) + ", expected " + std::to_string(expected) + " (every " +
                        ms(interval) + ")");
    }
    for (std::size_t k = 1; k < times.size(); ++k) {
      if (times[k] - times[k - 1] != interval) {
        throw ScriptError(a[0] + "'s declarations " + std::to_string(k) + " and " +
                          std::to_string(k + 1) + " in the window are " +
                          ms(times[k] - times[k - 1]) + " apart, not " + ms(interval));
      }
    }
    held();
  }

  Profile profile_ = *find_profile("fast");
  std::uint64_t seed_ = 1;
  sim::LinkFaults faults_;
  std::unique_ptr<sim::SimCluster> cluster_;
  int expectations_ = 0;
};

std::vector<std::string> words_of(const std::string& line) {
  const std::string code = line.substr(0, line.find('#'));
  std::istringstream in(code);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

}  // namespace

ScriptResult run_script(std::istream& in, const std::string& name) {
  ScriptResult result;
  Runner runner;
  int line_no = 0;
  std::string line;
  auto fail = [&](const std::string& where, const std::string& why) {
    result.ok = false;
    result.error = where + ": " + why + "\n" + runner.state();
    result.expectations = runner.expectations();
    return result;
  };
  while (std::getline(in, line)) {
    ++line_no;
    const auto words = words_of(line);
    if (words.empty()) continue;
    try {
      runner.execute(words);
    } catch (const std::exception& e) {  // ScriptError, or the cluster refusing a command
      return fail(name + ":" + std::to_string(line_no), e.what());
    }
  }
  try {
    runner.finish();
  } catch (const std::exception& e) {
    return fail(name + ":" + std::to_string(line_no) + " (end)", e.what());
  }
  result.expectations = runner.expectations();
  return result;
}

ScriptResult run_script_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    ScriptResult r;
    r.ok = false;
    r.error = path + ": cannot open";
    return r;
  }
  return run_script(in, path);
}

}  // namespace lanlord::test
