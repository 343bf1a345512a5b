#include "report/report.hpp"

#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>
#include <variant>

#include "lanlord/app/json_reader.hpp"
#include "lanlord/app/json_writer.hpp"

namespace lanlord::bench {

namespace {

struct Null {};
using Value = std::variant<Null, std::string, double, long long, bool>;

Value opt(const std::optional<double>& v) {
  return v ? Value(*v) : Value(Null{});
}

// Every field of a row, in output order; JSON and CSV share this list.
std::vector<std::pair<const char*, Value>> fields(const Row& r) {
  const bool has = r.conv.count > 0;
  auto conv = [&](double v) { return has ? Value(v) : Value(Null{}); };
  auto step = [&](double (*get)(const Summary&)) {
    return r.stepdown ? Value(get(*r.stepdown)) : Value(Null{});
  };
  return {
      {"scenario", r.scenario},
      {"nodes", static_cast<long long>(r.nodes)},
      {"runs", static_cast<long long>(r.runs)},
      {"profile", r.profile},
      {"transport", r.transport},
      {"fast_failover", r.fast_failover},
      {"suspicion", r.suspicion},
      {"rate_classes", r.rate_classes},
      {"p50_ms", conv(r.conv.p50)},
      {"p95_ms", conv(r.conv.p95)},
      {"p99_ms", conv(r.conv.p99)},
      {"max_ms", conv(r.conv.max)},
      {"min_ms", conv(r.conv.min)},
      {"mean_ms", conv(r.conv.mean)},
      {"stddev_ms", conv(r.conv.stddev)},
      {"samples", static_cast<long long>(r.conv.count)},
      {"failed", static_cast<long long>(r.failed)},
      {"skipped", static_cast<long long>(r.skipped)},
      {"fabric_ms", r.fabric_ms},
      {"fabric_formula", r.fabric_formula},
      {"bound_ms", opt(r.bound_ms)},
      {"dgrams_out_per_node_s", opt(r.dgrams_out)},
      {"dgrams_in_per_node_s", opt(r.dgrams_in)},
      {"bytes_out_per_node_s", opt(r.bytes_out)},
      {"bytes_in_per_node_s", opt(r.bytes_in)},
      {"cpu_pct_per_node", opt(r.cpu_pct_per_node)},
      {"peak_rss_mb", opt(r.peak_rss_mb)},
      {"leader_changes", opt(r.leader_changes)},
      {"unagreed_pct", opt(r.unagreed_pct)},
      {"leaderless_pct", opt(r.leaderless_pct)},
      {"false_deaths", opt(r.false_deaths)},
      {"false_deaths_per_hour", opt(r.false_deaths_per_hour)},
      {"deaths", opt(r.deaths)},
      {"churn_events", opt(r.churn_events)},
      {"wall_s", r.wall_s},
      {"virtual_s", opt(r.virtual_s)},
      {"seed", static_cast<long long>(r.seed)},
      {"loss", opt(r.loss)},
      {"delay_ms", opt(r.delay_ms)},
      {"jitter_ms", opt(r.jitter_ms)},
      {"overrides", r.overrides},
      {"io_threads", opt(r.io_threads)},
      {"first_failure", r.first_failure},
      // Last, so the CSV columns before them keep their places.
      {"auth", r.auth},
      {"freeze_ms", opt(r.freeze_ms)},
      {"stepdown_p50_ms", step([](const Summary& s) { return s.p50; })},
      {"stepdown_p95_ms", step([](const Summary& s) { return s.p95; })},
      {"stepdown_max_ms", step([](const Summary& s) { return s.max; })},
      {"stepdown_min_ms", step([](const Summary& s) { return s.min; })},
      {"stale_claims", opt(r.stale_claims)},
      {"stale_claim_runs", opt(r.stale_claim_runs)},
      {"deliveries", opt(r.deliveries)},
      {"ns_per_delivery", opt(r.ns_per_delivery)},
      {"etcd_requests_per_node_s", opt(r.etcd_requests)},
      {"etcd_errors_per_node_s", opt(r.etcd_errors)},
      {"etcd_keepalives_per_node_s", opt(r.etcd_keepalives)},
      {"etcd_watch_events_per_node_s", opt(r.etcd_watch_events)},
      {"lease_ttl_s", opt(r.lease_ttl_s)},
      {"etcd_leases_lost", opt(r.etcd_leases_lost)},
  };
}

std::string number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  std::string s = buf;
  // Trailing zeros carry nothing: 412.500 -> 412.5, 3.000 -> 3.
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

struct JsonText {
  std::string operator()(Null) const { return "null"; }
  std::string operator()(const std::string& s) const { return app::json_quote(s); }
  std::string operator()(double v) const { return number(v); }
  std::string operator()(long long v) const { return std::to_string(v); }
  std::string operator()(bool v) const { return v ? "true" : "false"; }
};

struct CsvText {
  std::string operator()(Null) const { return ""; }
  std::string operator()(const std::string& s) const { return csv_field(s); }
  std::string operator()(double v) const { return number(v); }
  std::string operator()(long long v) const { return std::to_string(v); }
  std::string operator()(bool v) const { return v ? "true" : "false"; }
};

std::string cell(const std::optional<double>& v, int precision = 0) {
  if (!v) return "-";
  std::ostringstream s;
  s << std::fixed << std::setprecision(precision) << *v;
  return s.str();
}

// The table's last column: the variant, churn figures, why runs failed.
std::string row_notes(const Row& r) {
  std::string notes;
  const auto add = [&notes](const std::string& s) { notes += (notes.empty() ? "" : "; ") + s; };
  if (!r.overrides.empty()) add(r.overrides);
  if (!r.fast_failover) add("no fast failover");
  if (r.loss && *r.loss > 0) add("loss " + cell(*r.loss * 100, 1) + "%");
  if (r.jitter_ms && *r.jitter_ms > 0) add("jitter " + cell(r.jitter_ms, 1) + "ms");
  if (r.io_threads && *r.io_threads > 1) add(cell(r.io_threads) + " io threads");
  if (!r.auth.empty() && r.auth != "none") add("auth " + r.auth);
  if (r.lease_ttl_s) add("lease TTL " + cell(r.lease_ttl_s) + "s");
  if (r.etcd_errors && *r.etcd_errors > 0) add("etcd errors " + cell(r.etcd_errors, 2) + "/s/node");
  if (r.etcd_leases_lost && *r.etcd_leases_lost > 0) {
    add("leases lost " + cell(r.etcd_leases_lost, 1) + "/run");
  }
  if (r.leader_changes) {
    add("changes " + cell(r.leader_changes, 1) + "/run, unagreed " + cell(r.unagreed_pct, 1) +
        "%, not one leader " + cell(r.leaderless_pct, 1) + "%, false deaths " +
        cell(r.false_deaths, 1) + "/run");
  }
  if (r.stepdown) {
    add("frozen " + cell(r.freeze_ms) + "ms; thaw->stepped down p50 " + cell(r.stepdown->p50, 2) +
        " max " + cell(r.stepdown->max, 2) + "ms; old-epoch claims after thaw " +
        cell(r.stale_claims) + " in " + cell(r.stale_claim_runs) + " runs");
  }
  if (r.virtual_s && *r.virtual_s > 0 && r.wall_s > 0) {
    add("sim " + cell(r.virtual_s, 1) + "s in " + cell(r.wall_s, 1) + "s wall (" +
        cell(*r.virtual_s / r.wall_s, 2) + "x real time" +
        (r.ns_per_delivery ? ", " + cell(r.ns_per_delivery, 0) + " ns/delivery" : "") + ")");
  }
  if (r.skipped > 0) {
    add("skipped: " + r.first_failure);
  } else if (r.failed > 0) {
    add(r.first_failure);
  }
  return notes;
}

}  // namespace

std::string to_json(const Row& r) {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : fields(r)) {
    if (!first) out += ",";
    first = false;
    out += app::json_quote(key) + ":" + std::visit(JsonText{}, value);
  }
  return out + "}";
}

std::optional<Row> row_from_json(const std::string& line) {
  using app::json_field;
  nlohmann::json obj;
  if (!app::parse_json_object(line, obj) || !obj.contains("scenario") || !obj.contains("nodes")) {
    return std::nullopt;
  }
  const auto text = [&](const char* key) {
    return json_field<std::string>(obj, key).value_or(std::string());
  };
  const auto num = [&](const char* key) { return json_field<double>(obj, key); };
  const auto num0 = [&](const char* key) { return num(key).value_or(0); };
  Row r;
  r.scenario = text("scenario");
  r.transport = text("transport");
  r.profile = text("profile");
  r.fast_failover =
      !obj.contains("fast_failover") || json_field<bool>(obj, "fast_failover") == true;
  r.suspicion = json_field<bool>(obj, "suspicion") == true;
  r.rate_classes = json_field<bool>(obj, "rate_classes") == true;
  r.nodes = static_cast<std::size_t>(num0("nodes"));
  r.runs = static_cast<int>(num0("runs"));
  r.failed = static_cast<int>(num0("failed"));
  r.skipped = static_cast<int>(num0("skipped"));
  r.conv.count = static_cast<std::size_t>(num0("samples"));
  r.conv.p50 = num0("p50_ms");
  r.conv.p95 = num0("p95_ms");
  r.conv.p99 = num0("p99_ms");
  r.conv.max = num0("max_ms");
  r.conv.min = num0("min_ms");
  r.conv.mean = num0("mean_ms");
  r.conv.stddev = num0("stddev_ms");
  r.fabric_ms = num0("fabric_ms");
  r.fabric_formula = text("fabric_formula");
  r.bound_ms = num("bound_ms");
  r.dgrams_out = num("dgrams_out_per_node_s");
  r.dgrams_in = num("dgrams_in_per_node_s");
  r.bytes_out = num("bytes_out_per_node_s");
  r.bytes_in = num("bytes_in_per_node_s");
  r.cpu_pct_per_node = num("cpu_pct_per_node");
  r.peak_rss_mb = num("peak_rss_mb");
  r.leader_changes = num("leader_changes");
  r.unagreed_pct = num("unagreed_pct");
  r.leaderless_pct = num("leaderless_pct");
  r.false_deaths = num("false_deaths");
  r.false_deaths_per_hour = num("false_deaths_per_hour");
  r.deaths = num("deaths");
  r.churn_events = num("churn_events");
  r.wall_s = num0("wall_s");
  r.virtual_s = num("virtual_s");
  r.deliveries = num("deliveries");
  r.ns_per_delivery = num("ns_per_delivery");
  // Written as a signed integer (see fields()): read back the same way, exactly.
  r.seed = static_cast<std::uint64_t>(json_field<std::int64_t>(obj, "seed").value_or(0));
  r.loss = num("loss");
  r.delay_ms = num("delay_ms");
  r.jitter_ms = num("jitter_ms");
  r.first_failure = text("first_failure");
  r.overrides = text("overrides");
  r.io_threads = num("io_threads");
  if (obj.contains("auth")) r.auth = text("auth");
  r.freeze_ms = num("freeze_ms");
  if (const auto p50 = num("stepdown_p50_ms")) {
    Summary st;
    st.p50 = *p50;
    st.p95 = num0("stepdown_p95_ms");
    st.max = num0("stepdown_max_ms");
    st.min = num0("stepdown_min_ms");
    st.p99 = st.max;
    r.stepdown = st;
  }
  r.stale_claims = num("stale_claims");
  r.stale_claim_runs = num("stale_claim_runs");
  r.etcd_requests = num("etcd_requests_per_node_s");
  r.etcd_errors = num("etcd_errors_per_node_s");
  r.etcd_keepalives = num("etcd_keepalives_per_node_s");
  r.etcd_watch_events = num("etcd_watch_events_per_node_s");
  r.lease_ttl_s = num("lease_ttl_s");
  r.etcd_leases_lost = num("etcd_leases_lost");
  return r;
}

std::string csv_header() {
  std::string out;
  for (const auto& [key, value] : fields(Row{})) out += (out.empty() ? "" : ",") + std::string(key);
  return out;
}

std::string to_csv(const Row& r) {
  std::string out;
  bool first = true;
  for (const auto& [key, value] : fields(r)) {
    if (!first) out += ",";
    first = false;
    out += std::visit(CsvText{}, value);
  }
  return out;
}

void print_table(std::ostream& out, const std::vector<Row>& rows) {
  // Convergence in ms; datagrams sent and received and kB received per node
  // per second; cpu in % of one core per node; requests to etcd per node
  // per second (etcd rows; they have no datagrams).
  out << std::left << std::setw(14) << "scenario" << std::setw(12) << "transport" << std::setw(8)
      << "profile" << std::right << std::setw(6) << "N" << std::setw(6) << "runs" << std::setw(5)
      << "fail" << std::setw(9) << "p50" << std::setw(9) << "p95" << std::setw(9) << "p99"
      << std::setw(9) << "max" << std::setw(9) << "fabric" << std::setw(8) << "bound"
      << std::setw(8) << "out/s" << std::setw(8) << "in/s" << std::setw(8) << "kBin/s"
      << std::setw(7) << "cpu%" << std::setw(7) << "MiB" << std::setw(17) << "etcd req/s/node"
      << "  notes\n";
  for (const Row& r : rows) {
    const bool has = r.conv.count > 0;
    // Below 10 ms (an instant handoff) a tenth of a millisecond tells.
    auto conv = [&](double v) { return has ? cell(v, v < 10 ? 1 : 0) : std::string("-"); };
    const std::optional<double> kb_in =
        r.bytes_in ? std::optional<double>(*r.bytes_in / 1024) : std::nullopt;
    out << std::left << std::setw(14) << r.scenario << std::setw(12) << r.transport << std::setw(8)
        << r.profile << std::right << std::setw(6) << r.nodes << std::setw(6) << r.runs
        << std::setw(5) << r.failed << std::setw(9) << conv(r.conv.p50) << std::setw(9)
        << conv(r.conv.p95) << std::setw(9) << conv(r.conv.p99) << std::setw(9) << conv(r.conv.max)
        << std::setw(9) << cell(r.fabric_ms) << std::setw(8) << cell(r.bound_ms) << std::setw(8)
        << cell(r.dgrams_out, 1) << std::setw(8) << cell(r.dgrams_in, 0) << std::setw(8)
        << cell(kb_in, 1) << std::setw(7) << cell(r.cpu_pct_per_node, 2) << std::setw(7)
        << cell(r.peak_rss_mb, 1) << std::setw(17) << cell(r.etcd_requests, 2) << "  "
        << row_notes(r) << "\n";
  }
}

}  // namespace lanlord::bench
