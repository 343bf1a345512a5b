// fuzz_decode: any bytes through wire::decode. What it accepts must be a
// message the encoder would send (within check_message's limits) and must
// survive encode -> decode unchanged (but for a heartbeat's digest, which
// the encoder may cut to fit), encoding to the same bytes each time; what it refuses must carry one
// of the codec's own drop reasons. A crash, a sanitizer report, an exception or a broken check is a
// bug.
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "check.hpp"
#include "lanlord/keyring.hpp"
#include "lanlord/wire.hpp"

namespace {

using namespace lanlord;

// The reasons a decoder gives; the others are the receiving node's
// (admission). A keyed decoder adds unauthenticated and foreign_key.
bool is_codec_reason(DropReason r) {
  switch (r) {
    case DropReason::kTooLarge:
    case DropReason::kTruncated:
    case DropReason::kBadMagic:
    case DropReason::kUnknownLayout:
    case DropReason::kMalformed:
    case DropReason::kUnknownVersion:
    case DropReason::kUnknownKind:
    case DropReason::kUnauthenticated:
    case DropReason::kForeignKey:
      return true;
    default:
      return false;
  }
}

// One decoder and the encoder that goes with it. Today there is one pair,
// wire::encode / wire::decode; a keyed pair (layout 2) is checked by the
// same function with its keyring bound in.
template <class Encode, class Decode>
void check_codec(std::span<const std::uint8_t> input, const Encode& encode, const Decode& decode) {
  const wire::Decoded first = decode(input);
  if (!first.ok) {
    LANLORD_FUZZ_CHECK(is_codec_reason(first.reason));
    return;
  }
  LANLORD_FUZZ_CHECK(check_message(first.message));
  const wire::Encoded again = encode(first.message);
  LANLORD_FUZZ_CHECK(again.status);
  LANLORD_FUZZ_CHECK(again.datagram.size() <= kMaxDatagramSize);
  const wire::Decoded second = decode(again.datagram);
  LANLORD_FUZZ_CHECK(second.ok);
  // A heartbeat's digest is advisory: a datagram whose pointers share
  // bytes may hold more than its canonical encoding fits, and the encoder
  // then cuts the digest from the back. Nothing else may change.
  Message expected = first.message;
  if (auto* hb = std::get_if<Heartbeat>(&expected.body)) {
    const auto* got = std::get_if<Heartbeat>(&second.message.body);
    if (got != nullptr && got->digest.size() < hb->digest.size()) {
      hb->digest.resize(got->digest.size());
    }
  }
  LANLORD_FUZZ_CHECK(second.message == expected);
  LANLORD_FUZZ_CHECK(encode(second.message).datagram == again.datagram);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check_codec(
      std::span(data, size), [](const Message& m) { return wire::encode(m); },
      [](std::span<const std::uint8_t> d) { return wire::decode(d); });
  // The same bytes to a keyed node (a fixed key; a MAC is deterministic,
  // so the round trip is byte for byte): the tag check and the trailer
  // parsing get the fuzzer's inputs too.
  static const Keyring keys = *Keyring::from_base64("bGFubG9yZC1mdXp6LWtleS0wMTIzNDU2Nzg5YWJjZGU=");
  const wire::Security mac{&keys, false};
  check_codec(
      std::span(data, size), [&](const Message& m) { return wire::encode(m, mac); },
      [](std::span<const std::uint8_t> d) { return wire::decode(d, &keys); });
  return 0;
}
