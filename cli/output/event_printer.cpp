#include "output/event_printer.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <sstream>

#include "lanlord/app/utf8.hpp"
#include "lanlord/duration.hpp"
#include "lanlord/keyring.hpp"

namespace lanlord::cli {

std::string rfc3339(WallClock::time_point t) {
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(t);
  const auto secs = std::chrono::floor<std::chrono::seconds>(ms);
  const std::time_t tt = WallClock::to_time_t(secs);
  std::tm utc{};
  gmtime_r(&tt, &utc);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>((ms - secs).count()));
  return std::string(date) + frac;
}

namespace {

void append_hex_byte(std::string& out, unsigned char value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out += "\\x";
  out += kDigits[value >> 4];
  out += kDigits[value & 0xF];
}

}  // namespace

std::string printable(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    char32_t cp = 0;
    std::size_t len = app::utf8_sequence(bytes, i, cp);
    // C0 and C1 controls and DEL could drive the terminal.
    const bool control = cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
    if (len == 0 || control) {
      len = len == 0 ? 1 : len;
      for (std::size_t k = 0; k < len; ++k) {
        append_hex_byte(out, static_cast<unsigned char>(bytes[i + k]));
      }
    } else if (cp == '\\') {
      out += "\\\\";
    } else {
      out.append(bytes.substr(i, len));
    }
    i += len;
  }
  return out;
}

std::string membership_event_name(MembershipEvent event) {
  return "member_" + std::string(to_string(event));
}

namespace {

std::int64_t millis(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

std::string join_printable(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += printable(items[i]);
  }
  return out;
}

std::string human_id(const std::optional<PeerId>& id) {
  return id ? printable(id->bytes()) : std::string("none");
}

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// "epoch" (a string of digits) and "metadata" of a leader; both null when
// there is none.
void add_leadership_json(JsonObject& f, const std::optional<PeerId>& leader, std::uint64_t epoch,
                         const std::string& metadata) {
  if (!leader) {
    f.null("epoch").null("metadata");
    return;
  }
  f.str("epoch", epoch_text(epoch)).str("metadata", metadata);
}

// "<sep>epoch N<sep>metadata "M"" (no metadata part when it is empty).
std::string leadership_text(std::uint64_t epoch, const std::string& metadata,
                            const char* separator) {
  std::string s = separator + std::string("epoch ") + epoch_text(epoch);
  if (!metadata.empty()) s += separator + std::string("metadata \"") + printable(metadata) + "\"";
  return s;
}

}  // namespace

std::string epoch_text(std::uint64_t epoch) {
  return std::to_string(epoch);
}

EventPrinter::EventPrinter(std::ostream& out, Format format, Now now, std::ostream* err)
    : out_(out), err_(err != nullptr ? *err : out), format_(format), now_(std::move(now)) {}

void EventPrinter::on_output_closed(std::function<void()> closed) {
  const std::lock_guard<std::mutex> lock(mutex_);
  on_closed_ = std::move(closed);
}

void EventPrinter::write(std::ostream& to, const std::string& text) {
  std::function<void()> closed;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    const bool to_out = &to == &out_;
    if (to_out && out_closed_) return;
    errno = 0;
    to << text << std::flush;
    if (to.good()) return;
    const bool broken_pipe = errno == EPIPE;
    to.clear();
    if (!to_out || !broken_pipe) return;
    out_closed_ = true;
    closed = on_closed_;
  }
  if (closed) closed();  // outside the lock: it may print (elsewhere) or post
}

void EventPrinter::emit(std::string_view event, std::string_view node, const JsonObject& fields,
                        const std::string& human, bool human_to_err) {
  const std::string ts = rfc3339(now_());
  if (format_ == Format::kJson) {
    JsonObject head;
    head.str("ts", ts).str("event", event).str("node", node);
    std::string line = head.text();
    const std::string rest = fields.text();
    if (rest.size() > 2) {  // splice "{a,b}" + "{c}" into "{a,b,c}"
      line.pop_back();
      line += ',';
      line.append(rest, 1);
    }
    write(out_, line + "\n");
  } else {
    write(human_to_err ? err_ : out_, ts + " " + printable(node) + " " + human + "\n");
  }
}

void EventPrinter::started(const StartedInfo& info) {
  JsonObject f;
  f.str("cluster", info.cluster);
  if (!info.passive) f.strings("channels", info.channels);
  const bool etcd = info.backend == Backend::kEtcd;
  f.str("backend", backend_name(info.backend)).str("endpoint", info.endpoint);
  if (etcd) {
    f.strings("endpoints", info.etcd_endpoints);
  } else {
    f.str("mode", info.unicast ? "unicast" : "multicast");
    if (info.unicast) f.strings("peers", info.peers);
  }
  f.str("profile", info.profile).boolean("passive", info.passive);
  std::string human = info.passive ? "started watching: cluster " : "started: cluster ";
  human += printable(info.cluster);
  if (!info.passive) human += ", channels " + join_printable(info.channels, ",");
  // The endpoint names the mode ("unicast 198.51.100.1:7676 on eth0, 1 seed",
  // "etcd http://127.0.0.1:2379 (+2 more), lease TTL 2 s").
  if (etcd && info.endpoint.empty()) {
    human += ", etcd " + join_printable(info.etcd_endpoints, ",");
  } else {
    human += ", " + printable(info.endpoint);
  }
  if (info.unicast && !etcd && !info.peers.empty()) {
    human += " (" + join_printable(info.peers, ",") + ")";
  }
  human += ", profile " + printable(info.profile);
  if (!info.key_ids.empty()) {
    f.strings("key_ids", info.key_ids).boolean("encrypt", info.encrypt);
    human += ", key " + info.key_ids.front();
    if (info.key_ids.size() > 1)
      human += " (+" + std::to_string(info.key_ids.size() - 1) + " more)";
    if (info.encrypt) human += ", encrypted";
  }
  emit("started", info.node, f, human);
}

void EventPrinter::membership(std::string_view node, MembershipEvent event, const Member& member,
                              std::size_t alive) {
  JsonObject f;
  f.str("member", member.id.bytes()).number("members", static_cast<std::int64_t>(alive));
  emit(membership_event_name(event), node, f,
       "member " + std::string(to_string(event)) + ": " + printable(member.id.bytes()) + " (" +
           std::to_string(alive) + " alive)");
}

void EventPrinter::leader(std::string_view node, std::string_view channel,
                          const std::optional<PeerId>& leader, bool is_self) {
  LeaderInfo info;
  info.leader = leader;
  info.is_self = is_self;
  this->leader(node, channel, info);
}

void EventPrinter::leader(std::string_view node, std::string_view channel, const LeaderInfo& info,
                          bool new_term) {
  JsonObject f;
  f.str("channel", channel).id("leader", info.leader).boolean("is_self", info.is_self);
  add_leadership_json(f, info.leader, info.epoch, info.metadata);
  if (new_term) f.boolean("new_term", true);
  std::string human = "leader of " + printable(channel) + ": " + human_id(info.leader);
  if (info.is_self) human += " (this node)";
  if (new_term) human += ", new term";
  if (info.leader) human += leadership_text(info.epoch, info.metadata, ", ");
  emit("leader", node, f, human);
}

void EventPrinter::dropped(std::string_view node, DropReason reason, std::string_view from) {
  JsonObject f;
  f.str("reason", drop_reason_name(reason)).str("from", from);
  emit("dropped", node, f,
       std::string("dropped a datagram from ") + printable(from) + ": " + drop_reason_name(reason));
}

void EventPrinter::stopped(std::string_view node) {
  emit("stopped", node, JsonObject(), "stopped");
}

void EventPrinter::warning(std::string_view node, const Warning& w) {
  JsonObject f;
  f.str("kind", warning_kind_name(w.kind)).str("message", w.message).id("peer", w.peer);
  emit("warning", node, f,
       std::string("warning (") + warning_kind_name(w.kind) + "): " + printable(w.message), true);
}

void EventPrinter::id_conflict(std::string_view node, const IdConflict& c) {
  JsonObject f;
  f.str("from", c.origin)
      .boolean("refuted", c.refuted)
      .boolean("duplicate", c.duplicate)
      .boolean("stopped", c.stopped);
  const std::string id = printable(node);
  const std::string from = printable(c.origin);
  std::string human = "id conflict: ";
  if (c.stopped) {
    human += "another process with id " + id + " is running at " + from +
             "; this one started later and stops";
  } else if (c.duplicate) {
    human += "another process with id " + id + " is running at " + from +
             "; it started later and should stop (this one keeps running)";
  } else if (c.refuted) {
    human += "a datagram from " + from + " made a newer claim about id " + id +
             "; answered with a newer heartbeat (a forgery, a replay, or a second process)";
  } else {
    human += "a datagram from " + from + " carried this node's id " + id +
             " (a replay, a forgery, or a second process); ignored";
  }
  emit("id_conflict", node, f, human, true);
}

void EventPrinter::keys_reloaded(std::string_view node, std::string_view file,
                                 const std::vector<std::uint32_t>& key_ids) {
  std::vector<std::string> ids;
  for (const std::uint32_t id : key_ids) ids.push_back(key_id_hex(id));
  JsonObject f;
  f.str("file", file).strings("key_ids", ids);
  std::string human = "keys reloaded from " + printable(file) + ": ";
  human += plural(ids.size(), "key", "keys") + ", primary " + (ids.empty() ? "none" : ids.front());
  if (ids.size() > 1) {
    human += ", also accepted " +
             join_printable(std::vector<std::string>(ids.begin() + 1, ids.end()), ", ");
  }
  emit("keys_reloaded", node, f, human);
}

void EventPrinter::metrics_listening(std::string_view node, std::string_view address) {
  const std::string url = "http://" + std::string(address) + "/metrics";
  JsonObject f;
  f.str("address", address).str("url", url);
  emit("metrics_listening", node, f, "metrics at " + printable(url));
}

void EventPrinter::evictions(std::string_view node, std::uint64_t count, std::size_t alive) {
  JsonObject f;
  f.number("count", static_cast<std::int64_t>(count))
      .number("members", static_cast<std::int64_t>(alive));
  emit("members_evicted", node, f,
       "members evicted: " + std::to_string(count) +
           (count == 1 ? " peer heard only once was" : " peers heard only once were") +
           " dropped to make room (--max-members) (" + std::to_string(alive) + " alive)");
}

std::string lease_id_text(std::int64_t id) {
  if (id == 0) return "none";
  std::ostringstream o;
  o << std::hex << static_cast<std::uint64_t>(id);
  return o.str();
}

namespace {

// The etcd backend's counters: what it holds in etcd and what it asked.
JsonObject etcd_stats_json(const EtcdStats& e) {
  JsonObject o;
  o.boolean("connected", e.connected).str("endpoint", e.endpoint);
  if (e.lease_id != 0) {
    o.str("lease_id", lease_id_text(e.lease_id));
  } else {
    o.null("lease_id");
  }
  o.number("lease_ttl", e.lease_ttl)
      .number("requests", static_cast<std::int64_t>(e.requests))
      .number("request_errors", static_cast<std::int64_t>(e.request_errors))
      .number("keepalives", static_cast<std::int64_t>(e.keepalives))
      .number("leases_granted", static_cast<std::int64_t>(e.leases_granted))
      .number("leases_lost", static_cast<std::int64_t>(e.leases_lost))
      .number("campaigns", static_cast<std::int64_t>(e.campaigns))
      .number("watch_events", static_cast<std::int64_t>(e.watch_events))
      .number("watch_restarts", static_cast<std::int64_t>(e.watch_restarts));
  return o;
}

std::string etcd_stats_text(const EtcdStats& e) {
  std::ostringstream o;
  o << "etcd " << printable(e.endpoint.empty() ? "(none)" : e.endpoint) << ' '
    << (e.connected ? "connected" : "not connected") << ", lease " << lease_id_text(e.lease_id);
  if (e.lease_id != 0) o << " (TTL " << e.lease_ttl << " s)";
  o << ", " << plural(e.requests, "request", "requests") << " (" << e.request_errors << " failed), "
    << plural(e.keepalives, "keep-alive", "keep-alives") << ", "
    << plural(e.leases_granted, "lease", "leases") << " granted, " << e.leases_lost << " lost, "
    << plural(e.campaigns, "campaign", "campaigns") << ", "
    << plural(e.watch_events, "watch event", "watch events") << ", "
    << plural(e.watch_restarts, "watch restart", "watch restarts");
  return o.str();
}

// Each channel's leadership and counters, shared by both backends.
std::string channels_json(const NodeStats& s) {
  std::string channels = "[";
  for (const ChannelStats& c : s.channels) {
    if (channels.size() > 1) channels += ',';
    JsonObject o;
    o.str("channel", c.channel).id("leader", c.leader);
    if (c.leader) {
      o.str("epoch", epoch_text(c.epoch));
    } else {
      o.null("epoch");
    }
    o.boolean("is_leader", c.is_leader)
        .number("leader_changes", static_cast<std::int64_t>(c.leader_changes))
        .number("handoffs_sent", static_cast<std::int64_t>(c.handoffs_sent))
        .number("handoffs_received", static_cast<std::int64_t>(c.handoffs_received))
        .number("stale_declarations", static_cast<std::int64_t>(c.stale_declarations));
    channels += o.text();
  }
  return channels + "]";
}

void channels_text(const NodeStats& s, std::ostringstream& o) {
  for (const ChannelStats& c : s.channels) {
    o << "; channel " << printable(c.channel) << ": leader " << human_id(c.leader);
    if (c.leader) o << ", epoch " << epoch_text(c.epoch);
    o << ", " << plural(c.leader_changes, "change", "changes") << ", handoffs " << c.handoffs_sent
      << " sent " << c.handoffs_received << " received, "
      << plural(c.stale_declarations, "stale declaration", "stale declarations");
  }
}

}  // namespace

JsonObject stats_json(const NodeStats& s) {
  if (s.etcd.enabled) {
    // No datagrams, drops or clocks: only what means something with etcd.
    JsonObject f;
    f.number("peers", static_cast<std::int64_t>(s.peers)).object("etcd", etcd_stats_json(s.etcd));
    if (!s.channels.empty()) f.raw("channels", channels_json(s));
    return f;
  }
  JsonObject drops;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    if (s.drops[i] > 0) {
      drops.number(drop_reason_name(static_cast<DropReason>(i)),
                   static_cast<std::int64_t>(s.drops[i]));
    }
  }
  JsonObject f;
  f.number("datagrams_in", static_cast<std::int64_t>(s.datagrams_in))
      .number("datagrams_out", static_cast<std::int64_t>(s.datagrams_out))
      .number("bytes_in", static_cast<std::int64_t>(s.bytes_in))
      .number("bytes_out", static_cast<std::int64_t>(s.bytes_out))
      .number("receive_wakeups", static_cast<std::int64_t>(s.receive_wakeups))
      .number("refutations", static_cast<std::int64_t>(s.refutations))
      .number("evictions", static_cast<std::int64_t>(s.evictions))
      .number("stale_resets", static_cast<std::int64_t>(s.stale_resets))
      .boolean("duplicate_id", s.duplicate_id)
      .number("peers", static_cast<std::int64_t>(s.peers))
      .number("max_clock_offset_ms", millis(s.max_clock_offset))
      .number("pauses", static_cast<std::int64_t>(s.pauses))
      .object("drops", drops);
  if (s.unicast_targets + s.addresses_learned + s.lost_addresses > 0) {
    JsonObject u;
    u.number("targets", static_cast<std::int64_t>(s.unicast_targets))
        .number("targets_capped", static_cast<std::int64_t>(s.targets_capped))
        .number("addresses_learned", static_cast<std::int64_t>(s.addresses_learned))
        .number("introductions", static_cast<std::int64_t>(s.introductions))
        .number("lost_addresses", static_cast<std::int64_t>(s.lost_addresses))
        .number("reconnects", static_cast<std::int64_t>(s.reconnects));
    f.object("unicast", u);
  }
  if (!s.channels.empty()) f.raw("channels", channels_json(s));
  return f;
}

std::string stats_text(const NodeStats& s) {
  std::ostringstream o;
  if (s.etcd.enabled) {
    o << etcd_stats_text(s.etcd) << ", " << plural(s.peers, "peer", "peers") << " held";
    channels_text(s, o);
    return o.str();
  }
  o << s.datagrams_in << " datagrams in, " << s.datagrams_out << " out, "
    << plural(s.peers, "peer", "peers") << " held, " << s.refutations << " refuted, " << s.evictions
    << " evicted, " << s.stale_resets << " stale resets, max clock offset "
    << millis(s.max_clock_offset) << " ms";
  if (s.duplicate_id) o << ", duplicate id";
  if (s.pauses > 0) o << ", paused " << s.pauses << (s.pauses == 1 ? " time" : " times");
  if (s.unicast_targets + s.addresses_learned + s.lost_addresses > 0) {
    o << ", unicast to " << plural(s.unicast_targets, "address", "addresses");
    if (s.targets_capped > 0) o << " (" << s.targets_capped << " left out by the cap)";
    if (s.lost_addresses > 0) o << ", " << s.lost_addresses << " lost being retried";
  }
  o << "; dropped:";
  bool any = false;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    if (s.drops[i] == 0) continue;
    o << (any ? ", " : " ") << drop_reason_name(static_cast<DropReason>(i)) << " " << s.drops[i];
    any = true;
  }
  if (!any) o << " none";
  channels_text(s, o);
  return o.str();
}

void EventPrinter::stats(std::string_view node, const NodeStats& s) {
  emit("stats", node, stats_json(s), "stats: " + stats_text(s));
}

void EventPrinter::table(std::string_view node, const Verdict& v) {
  if (format_ == Format::kJson) {
    std::string members = "[";
    for (const Member& m : v.members) {
      if (members.size() > 1) members += ',';
      members += JsonObject()
                     .str("member", m.id.bytes())
                     .boolean("alive", m.alive)
                     .strings("channels", m.channels)
                     .text();
    }
    members += "]";
    std::string channels = "[";
    for (const ChannelVerdict& c : v.channels) {
      if (channels.size() > 1) channels += ',';
      std::vector<std::string> leaders;
      for (const PeerId& id : c.leaders) leaders.push_back(id.bytes());
      JsonObject o;
      o.str("channel", c.channel).id("leader", c.leader);
      add_leadership_json(o, c.leader, c.epoch, c.metadata);
      o.strings("leaders", leaders);
      o.boolean("ok", c.ok);
      if (!c.ok) o.str("problem", c.problem);
      channels += o.text();
    }
    channels += "]";
    JsonObject f;
    f.number("listened_ms", millis(v.listened))
        .number("members", static_cast<std::int64_t>(v.alive))
        .raw("member_list", members)
        .raw("channels", channels)
        .strings("trust_problems", v.trust_problems)
        .strings("warnings", v.warnings)
        .object("stats", stats_json(v.stats))
        .boolean("ok", v.ok);
    if (!v.ok) f.str("problem", v.problem);
    emit("table", node, f, "");
    return;
  }
  std::ostringstream s;
  s << "table after " << format_duration(v.listened) << ": " << plural(v.alive, "member", "members")
    << " alive, " << plural(v.channels.size(), "channel", "channels") << "\n";
  s << "  members:\n";
  if (v.members.empty()) s << "    (none heard)\n";
  for (const Member& m : v.members) {
    s << "    " << printable(m.id.bytes()) << "  " << (m.alive ? "alive" : "dead ") << "  channels "
      << join_printable(m.channels, ",") << "\n";
  }
  s << "  leaders:\n";
  if (v.channels.empty()) s << "    (no channel heard)\n";
  for (const ChannelVerdict& c : v.channels) {
    s << "    " << printable(c.channel) << ": " << human_id(c.leader);
    if (c.leader) s << leadership_text(c.epoch, c.metadata, ", ");
    if (!c.ok) {
      std::vector<std::string> ids;
      for (const PeerId& id : c.leaders) ids.push_back(id.bytes());
      s << "  <- " << c.problem;
      if (c.leaders.size() > 1) s << " (" << join_printable(ids, ", ") << ")";
    }
    s << "\n";
  }
  if (!v.trust_problems.empty()) {
    s << "  trust problems:\n";
    for (const std::string& p : v.trust_problems) s << "    " << printable(p) << "\n";
  }
  if (!v.warnings.empty()) {
    s << "  warnings:\n";
    for (const std::string& w : v.warnings) s << "    " << printable(w) << "\n";
  }
  s << "  stats: " << stats_text(v.stats) << "\n";
  s << "  verdict: "
    << (v.ok ? "ok, every channel has exactly one leader" : "NOT OK, " + printable(v.problem));
  emit("table", node, JsonObject(), s.str());
}

void EventPrinter::demo_plan(const DemoPlan& plan) {
  JsonObject f;
  f.number("nodes", static_cast<std::int64_t>(plan.nodes))
      .str("profile", plan.profile)
      .str("endpoint", plan.endpoint)
      .str("timings", plan.timings)
      .number("failover_bound_ms", millis(plan.failover_bound));
  emit("demo_plan", "demo", f,
       "starting " + std::to_string(plan.nodes) + " nodes in this process on loopback (" +
           plan.endpoint + "), profile " + plan.profile + ": " + plan.timings);
}

void EventPrinter::demo_agreed(const PeerId& leader, std::string_view channel, std::size_t nodes,
                               Duration took) {
  JsonObject f;
  f.str("channel", channel)
      .str("leader", leader.bytes())
      .number("nodes", static_cast<std::int64_t>(nodes))
      .number("took_ms", millis(took));
  emit("demo_agreed", "demo", f,
       "all " + std::to_string(nodes) + " nodes agree: " + printable(leader.bytes()) + " leads " +
           printable(channel) + ", " + std::to_string(millis(took)) + " ms after start");
}

void EventPrinter::demo_crash(const PeerId& leader) {
  JsonObject f;
  f.str("member", leader.bytes());
  emit("demo_crash", "demo", f,
       "crashing the leader " + printable(leader.bytes()) +
           ": its node is destroyed without a leave, as if the process died");
}

void EventPrinter::demo_failover(const PeerId& leader, std::string_view channel,
                                 std::size_t survivors, Duration took, Duration bound) {
  JsonObject f;
  f.str("channel", channel)
      .str("leader", leader.bytes())
      .number("nodes", static_cast<std::int64_t>(survivors))
      .number("took_ms", millis(took))
      .number("bound_ms", millis(bound));
  emit("demo_failover", "demo", f,
       "the " + std::to_string(survivors) + " survivors agree: " + printable(leader.bytes()) +
           " leads " + printable(channel) + "; failover took " + std::to_string(millis(took)) +
           " ms (profile bound: " + format_duration(bound) + " + delivery)");
}

void EventPrinter::demo_timeout(std::string_view phase, Duration waited) {
  JsonObject f;
  f.str("phase", phase).number("waited_ms", millis(waited));
  emit("demo_timeout", "demo", f,
       "no agreement in the " + std::string(phase) + " after " + format_duration(waited) +
           ": something is wrong (is multicast on loopback blocked?)");
}

void EventPrinter::demo_done() {
  emit("demo_done", "demo", JsonObject(), "done: every node stopped gracefully");
}

// `lanlord run`'s events.

std::string signal_name(int signal) {
  const char* abbrev = ::sigabbrev_np(signal);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

namespace {

// {"code":0,"signal":null} and "exited with code 0" / "killed by SIGTERM".
void add_command_status(JsonObject& f, const CommandStatus& status) {
  if (status.code) {
    f.number("code", *status.code);
  } else {
    f.null("code");
  }
  if (status.signal) {
    f.str("signal", signal_name(*status.signal));
  } else {
    f.null("signal");
  }
}

std::string command_status_text(const CommandStatus& status) {
  if (status.code) return "exited with code " + std::to_string(*status.code);
  if (status.signal) return "killed by " + signal_name(*status.signal);
  return "ended";
}

}  // namespace

void EventPrinter::command_started(std::string_view node, std::string_view channel, int pid,
                                   std::uint64_t epoch) {
  JsonObject f;
  f.str("channel", channel).number("pid", pid).str("epoch", std::to_string(epoch));
  emit("command_started", node, f,
       "command started for " + printable(channel) + ": pid " + std::to_string(pid) + ", epoch " +
           std::to_string(epoch));
}

void EventPrinter::command_stopping(std::string_view node, std::string_view channel, int pid,
                                    std::string_view reason, Duration kill_timeout) {
  JsonObject f;
  f.str("channel", channel)
      .number("pid", pid)
      .str("reason", reason)
      .number("kill_timeout_ms", millis(kill_timeout));
  emit("command_stopping", node, f,
       "stopping the command for " + printable(channel) + " (pid " + std::to_string(pid) + "): " +
           std::string(reason) + "; SIGTERM, SIGKILL after " + format_duration(kill_timeout));
}

void EventPrinter::command_exited(std::string_view node, std::string_view channel, int pid,
                                  const CommandStatus& status, Duration ran) {
  JsonObject f;
  f.str("channel", channel).number("pid", pid);
  add_command_status(f, status);
  f.number("ran_ms", millis(ran));
  emit("command_exited", node, f,
       "command for " + printable(channel) + " (pid " + std::to_string(pid) + ") " +
           command_status_text(status) + " after " + std::to_string(millis(ran)) + " ms");
}

void EventPrinter::command_restart_scheduled(std::string_view node, std::string_view channel,
                                             Duration delay) {
  JsonObject f;
  f.str("channel", channel).number("delay_ms", millis(delay));
  emit("command_restart_scheduled", node, f,
       "restarting the command for " + printable(channel) + " in " + format_duration(delay));
}

void EventPrinter::yielded(std::string_view node, std::string_view channel) {
  JsonObject f;
  f.str("channel", channel);
  emit("yielded", node, f,
       "yielded " + printable(channel) + ": gave up leadership, still a candidate");
}

void EventPrinter::exiting(std::string_view node, int code, const CommandStatus& status) {
  JsonObject f;
  f.number("code", code);
  emit(
      "exiting", node, f,
      "exiting with code " + std::to_string(code) + ": the command " + command_status_text(status));
}

}  // namespace lanlord::cli

namespace lanlord::cli {

void EventPrinter::leaders(std::string_view node, const Verdict& v) {
  if (format_ == Format::kJson) {
    std::string channels = "[";
    for (const ChannelVerdict& c : v.channels) {
      if (channels.size() > 1) channels += ',';
      std::vector<std::string> declaring;
      for (const PeerId& id : c.declaring) declaring.push_back(id.bytes());
      std::vector<std::string> leaders;
      for (const PeerId& id : c.leaders) leaders.push_back(id.bytes());
      JsonObject o;
      o.str("channel", c.channel).id("leader", c.leader);
      add_leadership_json(o, c.leader, c.epoch, c.metadata);
      o.number("members", static_cast<std::int64_t>(c.members))
          .strings("leaders", leaders)
          .strings("declaring", declaring)
          .boolean("ok", c.ok);
      if (!c.ok) o.str("problem", c.problem);
      channels += o.text();
    }
    JsonObject f;
    f.number("listened_ms", millis(v.listened)).raw("channels", channels + "]").boolean("ok", v.ok);
    if (!v.ok) f.str("problem", v.problem);
    emit("leaders", node, f, "");
    return;
  }
  // For people and shell scripts: no timestamp, one line per channel.
  std::string s;
  if (v.channels.empty()) {
    s = "no leader: " + printable(v.problem) + " in " + format_duration(v.listened) + "\n";
  }
  for (const ChannelVerdict& c : v.channels) {
    std::vector<std::string> ids;
    for (const PeerId& id : c.leaders) ids.push_back(id.bytes());
    s += printable(c.channel) + "  ";
    if (c.ok) {
      s += "leader " + human_id(c.leader) + leadership_text(c.epoch, c.metadata, "  ");
    } else if (c.problem == "split") {
      std::vector<std::string> declaring;
      for (const PeerId& id : c.declaring) declaring.push_back(id.bytes());
      s += "split: " + join_printable(declaring, ", ") + " declare leadership";
    } else if (c.leaders.size() > 1) {
      s += printable(c.problem) + ": " + join_printable(ids, ", ");
    } else if (c.leader) {
      s += "leader " + human_id(c.leader) + leadership_text(c.epoch, c.metadata, "  ") + "  <- " +
           printable(c.problem);
    } else {
      s += printable(c.problem);
    }
    s += "  (" + plural(c.members, "member", "members") + ")\n";
  }
  write(out_, s);
}

}  // namespace lanlord::cli
