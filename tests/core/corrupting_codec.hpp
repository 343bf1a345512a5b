// A Codec decorator (LevelDB's EnvWrapper pattern) that damages a seeded
// fraction of the datagrams a receiver decodes, in ways the codec must
// reject: truncation, junk, and bit flips in the 8-byte datagram header
// (flags included: layout 2 drops unknown flags and a missing trailer). A
// damaged copy the codec accepts is counted as a failure of the codec.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lanlord/message.hpp"
#include "lanlord/sim/random.hpp"

namespace lanlord::test {

struct Corruption {
  double rate = 0.0;                  // the fraction of copies to damage; may change during a run
  std::uint64_t decoded = 0;          // copies handed to decode
  std::uint64_t damaged = 0;          // of which damaged
  std::uint64_t rejected = 0;         // damaged copies the codec dropped
  std::vector<std::string> accepted;  // damaged copies it took: a codec bug
};

// `inner` with a fraction `state->rate` of received copies damaged. Draws
// come from its own Rng (seeded with `seed`), not the cluster's. The
// codec shares `state` with the test, which reads the counts and may
// change the rate.
inline Codec corrupting_codec(Codec inner, std::uint64_t seed, std::shared_ptr<Corruption> state) {
  constexpr std::size_t kHeaderSize = 8;
  auto rng = std::make_shared<sim::Rng>(seed);
  Codec c;
  c.encode = inner.encode;
  c.decode = [inner = std::move(inner), rng, stats = std::move(state)](
                 std::span<const std::uint8_t> datagram,
                 Message& out) -> std::optional<DropReason> {
    ++stats->decoded;
    if (datagram.empty() || stats->rate <= 0 || !rng->chance(stats->rate)) {
      return inner.decode(datagram, out);
    }
    std::vector<std::uint8_t> bad(datagram.begin(), datagram.end());
    std::string how;
    switch (rng->below(3)) {
      case 0:  // truncation: a strict prefix (no trailer exists to cut harmlessly)
        bad.resize(rng->below(bad.size()));
        how = "truncated to " + std::to_string(bad.size()) + " bytes";
        break;
      case 1: {  // junk of any length up to the datagram limit, not starting with "LN"
        bad.resize(1 + rng->below(kMaxDatagramSize));
        for (auto& b : bad) b = static_cast<std::uint8_t>(rng->next());
        bad[0] = static_cast<std::uint8_t>('J');
        how = "junk of " + std::to_string(bad.size()) + " bytes";
        break;
      }
      default: {  // one bit of the header
        const std::size_t byte = rng->below(kHeaderSize);
        const unsigned bit = static_cast<unsigned>(rng->below(8));
        bad[byte] ^= static_cast<std::uint8_t>(1u << bit);
        how = "bit " + std::to_string(bit) + " of header byte " + std::to_string(byte) + " flipped";
        break;
      }
    }
    ++stats->damaged;
    Message ignored;
    if (const auto reason = inner.decode(bad, ignored)) {
      ++stats->rejected;
      return reason;
    }
    stats->accepted.push_back(how);
    return DropReason::kMalformed;  // keep the simulation going; the test fails on `accepted`
  };
  return c;
}

}  // namespace lanlord::test
