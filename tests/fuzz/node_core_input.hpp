// The input language of fuzz_node_core: how the fuzzer's bytes become one
// node's setup and a list of operations on it (read with clang's
// FuzzedDataProvider). Each field is described once, in a template that
// both reads it (InputReader) and writes it (InputWriter), so the seed
// corpus (make_corpus.cpp) is written in the same language the target
// reads, and checked to read back as written.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "lanlord/epoch.hpp"
#include "lanlord/message.hpp"
#include "lanlord/sim/virtual_scheduler.hpp"

namespace lanlord::fuzz {

// Bounds on one input, so that every input runs in milliseconds.
inline constexpr std::size_t kMaxOps = 512;
inline constexpr std::uint32_t kMaxAdvanceMs = 30'000;
// Virtual time one input may spend in all: long enough for every
// profile's timeouts (fabric forgets the dead after 475 s), no longer.
inline constexpr std::chrono::minutes kMaxVirtualTime{10};

// The node under test: its id, cluster and the channels it may start in.
inline const std::string kSelfId = "node-b";
inline const std::string kCluster = "lanlord";

// What inputs pick from by index; the index one past the end reads a
// string from the input instead, up to one byte over the field's limit.
// The pools hold valid names, the node's own, and names just over limits.
inline std::span<const std::string> id_pool() {
  static const std::vector<std::string> pool = {"node-a",
                                                kSelfId,
                                                "node-c",
                                                "node-z",
                                                "",
                                                std::string(kMaxIdSize, '\xff'),
                                                std::string(kMaxIdSize + 1, 'x')};
  return pool;
}
inline std::span<const std::string> cluster_pool() {
  static const std::vector<std::string> pool = {kCluster, "other", "",
                                                std::string(kMaxClusterSize + 1, 'c')};
  return pool;
}
inline std::span<const std::string> channel_pool() {
  static const std::vector<std::string> pool = {"default", "alpha", "beta", "",
                                                std::string(kMaxChannelSize + 1, 'n')};
  return pool;
}
inline constexpr std::uint8_t kValidSetupChannels = 3;  // the first three of channel_pool()

// Unicast mode: the node's own address and its seed, and where every
// message the harness steps comes from (a canonical source address).
inline const std::string kSelfAddress = "198.51.100.2:7676";
inline const std::string kSeedAddress = "198.51.100.1:7676";
inline const std::string kOrigin = "198.51.100.9:7676";
// Addresses a heartbeat may advertise or name in its digest: none, valid
// IPv4 and IPv6 ones, the node's own, its seed, one no codec passes (the
// codec refuses 0.0.0.0), and one over kMaxAddressSize.
inline std::span<const std::string> address_pool() {
  static const std::vector<std::string> pool = {"",
                                                "203.0.113.5:7676",
                                                "[2001:db8::5]:7676",
                                                kSelfAddress,
                                                kSeedAddress,
                                                "0.0.0.0:7676",
                                                std::string(kMaxAddressSize + 1, '9')};
  return pool;
}

// The virtual wall clock at the start, in ns: the node's incarnation when
// the setup leaves it 0.
inline std::uint64_t start_wall_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        sim::VirtualScheduler::kWallEpoch.time_since_epoch())
                                        .count());
}

// The first epoch the node finds implausible at the start with the
// default clock-skew window (TrustOptions::max_clock_skew, 30 s): the base
// leadership epochs are read around, so inputs reach both sides of the
// check (its neighbour below is plausible; kMax and most of any are not).
inline std::uint64_t epoch_edge() {
  const std::uint64_t term =
      clock_term(sim::VirtualScheduler::kWallEpoch + std::chrono::seconds(30)) + kEpochTermSlack;
  return make_epoch(term + 1, 0);
}

struct Setup {
  bool passive = false;
  bool unicast = false;  // NodeCoreConfig::unicast, kSelfAddress with kSeedAddress
  bool keyed = false;    // NodeCoreConfig::authenticated: digests and advertised addresses count
  bool flip_fast_failover = false;    // the profile's fast_failover, inverted
  std::uint8_t profile = 0;           // index into profile_names()
  std::vector<std::string> channels;  // from the first kValidSetupChannels of channel_pool()
  std::uint64_t incarnation = 0;      // 0: the virtual wall clock at start()
  std::uint64_t node_incarnation() const { return incarnation ? incarnation : start_wall_ns(); }
  friend bool operator==(const Setup&, const Setup&) = default;
};

enum class OpKind : std::uint8_t {
  kDatagram,  // bytes -> wire::decode -> step(), or drop() with the reason
  kMessage,   // a Message built field by field -> step(), unchecked by any codec
  kAdvance,   // virtual time passes; timers fire
  kYield,
  kJoin,
  kLeave,
  kStop,
  kMaxValue = kStop,  // FuzzedDataProvider::ConsumeEnum's bound
};

struct Op {
  OpKind kind = OpKind::kAdvance;
  std::vector<std::uint8_t> datagram;  // kDatagram
  Message message;                     // kMessage
  std::string channel;                 // kYield, kJoin, kLeave
  std::uint32_t advance_ms = 0;        // kAdvance
  friend bool operator==(const Op&, const Op&) = default;
};

struct Input {
  Setup setup;
  std::vector<Op> ops;
  friend bool operator==(const Input&, const Input&) = default;
};

// Reads fields with FuzzedDataProvider: integers from the end of the
// input, bytes and strings from the front.
class InputReader {
 public:
  static constexpr bool kReading = true;
  explicit InputReader(FuzzedDataProvider& data) : data_(data) {}
  bool more() const { return data_.remaining_bytes() > 0; }
  template <class T>
  void in_range(T& v, T min, T max) {
    v = data_.ConsumeIntegralInRange<T>(min, max);
  }
  template <class T>
  void integral(T& v) {
    v = data_.ConsumeIntegral<T>();
  }
  void boolean(bool& v) { v = data_.ConsumeBool(); }
  void bytes(std::vector<std::uint8_t>& v, std::size_t n) {
    v = data_.ConsumeBytes<std::uint8_t>(n);
  }
  void string(std::string& s, std::size_t max_length) {
    s = data_.ConsumeRandomLengthString(max_length);
  }

 private:
  FuzzedDataProvider& data_;
};

// Writes the bytes InputReader reads back as the same values (mirroring
// FuzzedDataProvider's encoding; make_corpus.cpp checks each file).
class InputWriter {
 public:
  static constexpr bool kReading = false;
  template <class T>
  void in_range(T& v, T min, T max) {
    // ConsumeIntegralInRange: as many bytes as the range needs, taken from
    // the end of the input, the first taken the most significant.
    const std::uint64_t range = static_cast<std::uint64_t>(max) - static_cast<std::uint64_t>(min);
    const std::uint64_t offset = static_cast<std::uint64_t>(v) - static_cast<std::uint64_t>(min);
    std::size_t n = 0;
    while (n < sizeof(T) && (range >> (8 * n)) > 0) ++n;
    for (std::size_t i = n; i-- > 0;) back_.push_back(static_cast<std::uint8_t>(offset >> (8 * i)));
  }
  template <class T>
  void integral(T& v) {
    in_range(v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
  }
  void boolean(bool& v) {
    std::uint8_t b = v ? 1 : 0;
    integral(b);
  }
  void bytes(std::vector<std::uint8_t>& v, std::size_t n) {
    front_.insert(front_.end(), v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n));
  }
  void string(std::string& s, std::size_t max_length) {
    // ConsumeRandomLengthString: "\\" is a backslash, "\" and any other
    // byte ends the string, and so does reaching max_length.
    for (char c : s) {
      front_.push_back(static_cast<std::uint8_t>(c));
      if (c == '\\') front_.push_back('\\');
    }
    if (s.size() < max_length) {
      front_.push_back('\\');
      front_.push_back('0');
    }
  }
  std::vector<std::uint8_t> finish() const {
    std::vector<std::uint8_t> out = front_;
    out.insert(out.end(), back_.rbegin(), back_.rend());
    return out;
  }

 private:
  std::vector<std::uint8_t> front_;
  std::vector<std::uint8_t> back_;  // in the order they are taken
};

// A name from `pool`, or (the index past its end) a string of the input.
template <class IO>
void io_pick(IO& io, std::string& s, std::span<const std::string> pool, std::size_t max_length) {
  const auto size = static_cast<std::uint8_t>(pool.size());
  std::uint8_t i = 0;
  if constexpr (!IO::kReading) {
    i = static_cast<std::uint8_t>(std::find(pool.begin(), pool.end(), s) - pool.begin());
  }
  io.in_range(i, std::uint8_t{0}, size);
  if (i < size) {
    s = pool[i];
  } else {
    io.string(s, max_length);
  }
}

// A 64-bit value, biased towards the edges: 0, the extremes, `base` and
// its neighbours (e.g. the node's own incarnation), or any value.
template <class IO>
void io_u64(IO& io, std::uint64_t& v, std::uint64_t base) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  enum Kind : std::uint8_t { kZero, kSmall, kMaxU64, kMaxLess1, kBase, kAbove, kBelow, kAny };
  std::uint8_t kind = kAny;
  std::uint8_t small = 0;  // 1..256 as 0..255
  if constexpr (!IO::kReading) {
    if (v == 0) {
      kind = kZero;
    } else if (v <= 256) {
      kind = kSmall, small = static_cast<std::uint8_t>(v - 1);
    } else if (v == kMax) {
      kind = kMaxU64;
    } else if (v == kMax - 1) {
      kind = kMaxLess1;
    } else if (v == base) {
      kind = kBase;
    } else if (v > base && v - base <= 256) {
      kind = kAbove, small = static_cast<std::uint8_t>(v - base - 1);
    } else if (v < base && base - v <= 256) {
      kind = kBelow, small = static_cast<std::uint8_t>(base - v - 1);
    }
  }
  io.in_range(kind, std::uint8_t{kZero}, std::uint8_t{kAny});
  switch (kind) {
    case kZero:
      v = 0;
      break;
    case kSmall:
      io.integral(small);
      v = small + 1u;
      break;
    case kMaxU64:
      v = kMax;
      break;
    case kMaxLess1:
      v = kMax - 1;
      break;
    case kBase:
      v = base;
      break;
    case kAbove:
      io.integral(small);
      v = base + small + 1u;  // wraps near the top: any value will do
      break;
    case kBelow:
      io.integral(small);
      v = base - small - 1u;
      break;
    default:
      io.integral(v);
      break;
  }
}

// A message as a peer (or a forger) might send it, any field possibly
// out of the codec's limits: admission must cope with what the codec
// would have refused.
template <class IO>
void io_message(IO& io, Message& m, std::uint64_t node_incarnation) {
  bool current_version = m.version == kProtocolVersion;
  io.boolean(current_version);
  if (current_version) {
    m.version = kProtocolVersion;
  } else {
    io.integral(m.version);
  }
  io_pick(io, m.cluster, cluster_pool(), kMaxClusterSize + 1);
  std::string sender = m.sender.bytes();
  io_pick(io, sender, id_pool(), kMaxIdSize + 1);
  m.sender = PeerId(sender);
  io_u64(io, m.time.incarnation, node_incarnation);
  io_u64(io, m.time.seq, 1000);
  io_u64(io, m.sent_at, start_wall_ns());
  io_u64(io, m.instance, node_incarnation);
  auto body = static_cast<std::uint8_t>(m.body.index());
  io.in_range(body, std::uint8_t{0}, std::uint8_t{3});
  if (body == 0) {
    if constexpr (IO::kReading) m.body = Heartbeat{};
    auto& hb = std::get<Heartbeat>(m.body);
    auto count = static_cast<std::uint8_t>(hb.channels.size());
    io.in_range(count, std::uint8_t{0}, static_cast<std::uint8_t>(kMaxChannels + 1));
    hb.channels.resize(count);
    for (std::string& c : hb.channels) io_pick(io, c, channel_pool(), kMaxChannelSize + 1);
    io.string(hb.metadata, kMaxMetadataSize + 1);
    io.integral(hb.timings);
    io.integral(hb.interval);
    // Unicast mode: an address, the observer flag, 0 to kMaxDigest + 1
    // entries (ids and addresses from the pools: empty, over the limit).
    io_pick(io, hb.address, address_pool(), kMaxAddressSize + 1);
    io.boolean(hb.observer);
    auto digest = static_cast<std::uint8_t>(hb.digest.size());
    io.in_range(digest, std::uint8_t{0}, static_cast<std::uint8_t>(kMaxDigest + 1));
    hb.digest.resize(digest);
    for (PeerAddress& p : hb.digest) {
      std::string id = p.id.bytes();
      io_pick(io, id, id_pool(), kMaxIdSize + 1);
      p.id = PeerId(id);
      io_pick(io, p.address, address_pool(), kMaxAddressSize + 1);
    }
  } else if (body == 1) {
    if constexpr (IO::kReading) m.body = Leadership{};
    auto& ld = std::get<Leadership>(m.body);
    io_pick(io, ld.channel, channel_pool(), kMaxChannelSize + 1);
    io.boolean(ld.declaration);
    io_u64(io, ld.epoch, epoch_edge());
    // "" (a proposal or declaration), a peer, the node itself, an id at
    // and over the limit; with `declaration` set, a handoff no codec passes.
    std::string successor = ld.successor.bytes();
    io_pick(io, successor, id_pool(), kMaxIdSize + 1);
    ld.successor = PeerId(successor);
  } else if (body == 3) {
    // 0 to kMaxSuspects + 1 ids from the pool (the node itself, empty,
    // over the limit): counts and ids no codec passes included.
    if constexpr (IO::kReading) m.body = Suspect{};
    auto& su = std::get<Suspect>(m.body);
    auto count = static_cast<std::uint8_t>(su.peers.size());
    io.in_range(count, std::uint8_t{0}, static_cast<std::uint8_t>(kMaxSuspects + 1));
    su.peers.resize(count);
    for (PeerId& p : su.peers) {
      std::string id = p.bytes();
      io_pick(io, id, id_pool(), kMaxIdSize + 1);
      p = PeerId(id);
    }
  } else {
    m.body = Leave{};
  }
}

template <class IO>
void io_setup(IO& io, Setup& s) {
  io.boolean(s.passive);
  io.boolean(s.unicast);
  io.boolean(s.keyed);
  io.boolean(s.flip_fast_failover);
  io.in_range(s.profile, std::uint8_t{0}, std::uint8_t{2});
  auto count = static_cast<std::uint8_t>(s.channels.size());
  io.in_range(count, std::uint8_t{0}, std::uint8_t{3});
  s.channels.resize(count);
  const auto valid = channel_pool().first(kValidSetupChannels);
  for (std::string& c : s.channels) {
    auto i = static_cast<std::uint8_t>(std::find(valid.begin(), valid.end(), c) - valid.begin());
    io.in_range(i, std::uint8_t{0}, static_cast<std::uint8_t>(kValidSetupChannels - 1));
    c = valid[i];
  }
  io_u64(io, s.incarnation, start_wall_ns());
}

template <class IO>
void io_op(IO& io, Op& op, std::uint64_t node_incarnation) {
  auto kind = static_cast<std::uint32_t>(op.kind);
  io.in_range(kind, std::uint32_t{0}, static_cast<std::uint32_t>(OpKind::kMaxValue));
  op.kind = static_cast<OpKind>(kind);
  switch (op.kind) {
    case OpKind::kDatagram: {
      auto size = static_cast<std::uint16_t>(op.datagram.size());
      io.in_range(size, std::uint16_t{0}, static_cast<std::uint16_t>(kMaxDatagramSize + 1));
      io.bytes(op.datagram, size);
      break;
    }
    case OpKind::kMessage:
      io_message(io, op.message, node_incarnation);
      break;
    case OpKind::kAdvance:
      io.in_range(op.advance_ms, std::uint32_t{0}, kMaxAdvanceMs);
      break;
    case OpKind::kYield:
    case OpKind::kJoin:
    case OpKind::kLeave:
      io_pick(io, op.channel, channel_pool(), kMaxChannelSize + 1);
      break;
    case OpKind::kStop:
      break;
  }
}

inline Input read_input(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  InputReader io(provider);
  Input in;
  io_setup(io, in.setup);
  while (io.more() && in.ops.size() < kMaxOps) {
    Op op;
    io_op(io, op, in.setup.node_incarnation());
    in.ops.push_back(std::move(op));
  }
  return in;
}

inline std::vector<std::uint8_t> write_input(Input in) {
  InputWriter io;
  io_setup(io, in.setup);
  for (Op& op : in.ops) io_op(io, op, in.setup.node_incarnation());
  return io.finish();
}

}  // namespace lanlord::fuzz
