// `lanlord leader`: who leads? A passive node (watch --once's) listens for
// leader_wait(), then prints each channel's leader with its epoch.
#include <string_view>
#include <utility>

#include "commands/commands.hpp"
#include "commands/health.hpp"
#include "commands/watch.hpp"

namespace lanlord::cli {

namespace {

// The verdict on `channel` alone, or (empty) on every channel heard of.
// Trust problems are left to `watch --once`: this command answers who
// leads, by the rules judge() applies to each channel.
Verdict leader_verdict(const Observation& seen, const std::string& channel) {
  Verdict v = judge(seen);
  if (!channel.empty()) {
    std::erase_if(v.channels, [&channel](const ChannelVerdict& c) { return c.channel != channel; });
  }
  std::size_t unhealthy = 0;
  for (const ChannelVerdict& c : v.channels) unhealthy += c.ok ? 0 : 1;
  if (v.channels.empty()) {
    v.problem = v.alive == 0 ? "heard no member and no leader" : "heard no channel";
  } else if (unhealthy == 1 && v.channels.size() == 1) {
    v.problem = v.channels.front().channel + ": " + v.channels.front().problem;
  } else if (unhealthy > 0) {
    v.problem = std::to_string(unhealthy) + " of " + std::to_string(v.channels.size()) +
                " channels have not exactly one leader";
  } else {
    v.problem.clear();
  }
  v.ok = v.problem.empty();
  return v;
}

}  // namespace

int run_leader(const LeaderOptions& options) {
  WatchOptions watch;
  watch.node = options.node;
  watch.output = options.output;
  watch.key_origin = options.key_origin;
  watch.once = true;
  watch.wait = leader_wait(options);
  if (!options.channel.empty()) watch.expect_channels = {options.channel};
  return run_passive(
      watch, [&options](EventPrinter& printer, std::string_view label, const Observation& seen) {
        const Verdict verdict = leader_verdict(seen, options.channel);
        printer.leaders(label, verdict);
        return verdict.ok ? kExitOk : kExitFailure;
      });
}

}  // namespace lanlord::cli
