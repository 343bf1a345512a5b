#include "lanlord/message.hpp"

#include <string>

namespace lanlord {

namespace {

Status check_size(std::size_t size, std::size_t limit, const char* what) {
  if (size > limit) {
    return Status::error(std::string(what) + " is " + std::to_string(size) +
                         " bytes; the limit is " + std::to_string(limit));
  }
  return Status::ok();
}

Status check_channel(const std::string& c) {
  if (c.empty()) return Status::error("a channel name is empty");
  return check_size(c.size(), kMaxChannelSize, "channel name");
}

}  // namespace

Status check_message(const Message& m) {
  if (m.sender.empty()) return Status::error("sender id is empty");
  if (Status st = check_size(m.sender.bytes().size(), kMaxIdSize, "sender id"); !st) return st;
  if (Status st = check_size(m.cluster.size(), kMaxClusterSize, "cluster name"); !st) return st;
  if (const auto* hb = std::get_if<Heartbeat>(&m.body)) {
    if (hb->channels.size() > kMaxChannels) {
      return Status::error(std::to_string(hb->channels.size()) + " channels; the limit is " +
                           std::to_string(kMaxChannels));
    }
    for (const std::string& c : hb->channels) {
      if (Status st = check_channel(c); !st) return st;
    }
    if (Status st = check_size(hb->metadata.size(), kMaxMetadataSize, "metadata"); !st) return st;
    if (Status st = check_size(hb->address.size(), kMaxAddressSize, "address"); !st) return st;
    if (hb->digest.size() > kMaxDigest) {
      return Status::error(std::to_string(hb->digest.size()) + " digest entries; the limit is " +
                           std::to_string(kMaxDigest));
    }
    for (const PeerAddress& p : hb->digest) {
      if (p.id.empty()) return Status::error("a digest id is empty");
      if (Status st = check_size(p.id.bytes().size(), kMaxIdSize, "digest id"); !st) return st;
      if (p.address.empty()) return Status::error("a digest address is empty");
      if (Status st = check_size(p.address.size(), kMaxAddressSize, "digest address"); !st) {
        return st;
      }
    }
    return Status::ok();
  }
  if (const auto* ld = std::get_if<Leadership>(&m.body)) {
    if (Status st = check_channel(ld->channel); !st) return st;
    if (ld->is_handoff() && ld->declaration) {
      return Status::error("a handoff cannot also be a declaration");
    }
    return check_size(ld->successor.bytes().size(), kMaxIdSize, "successor id");
  }
  if (const auto* su = std::get_if<Suspect>(&m.body)) {
    if (su->peers.empty() || su->peers.size() > kMaxSuspects) {
      return Status::error(std::to_string(su->peers.size()) + " suspects; 1 to " +
                           std::to_string(kMaxSuspects) + " are allowed");
    }
    for (const PeerId& p : su->peers) {
      if (p.empty()) return Status::error("a suspect id is empty");
      if (Status st = check_size(p.bytes().size(), kMaxIdSize, "suspect id"); !st) return st;
    }
  }
  return Status::ok();
}

const char* drop_reason_name(DropReason reason) {
  switch (reason) {
    case DropReason::kTooLarge:
      return "too_large";
    case DropReason::kTruncated:
      return "truncated";
    case DropReason::kBadMagic:
      return "bad_magic";
    case DropReason::kUnknownLayout:
      return "unknown_layout";
    case DropReason::kMalformed:
      return "malformed";
    case DropReason::kUnknownVersion:
      return "unknown_version";
    case DropReason::kUnknownKind:
      return "unknown_kind";
    case DropReason::kForeignCluster:
      return "foreign_cluster";
    case DropReason::kSelf:
      return "self";
    case DropReason::kIdConflict:
      return "id_conflict";
    case DropReason::kStale:
      return "stale";
    case DropReason::kUnknownChannel:
      return "unknown_channel";
    case DropReason::kUnauthenticated:
      return "unauthenticated";
    case DropReason::kForeignKey:
      return "foreign_key";
    case DropReason::kClockSkew:
      return "clock_skew";
    case DropReason::kImplausible:
      return "implausible";
    case DropReason::kRateLimited:
      return "rate_limited";
    case DropReason::kMemberCap:
      return "member_cap";
    case DropReason::kCount:
      break;
  }
  return "unknown";
}

}  // namespace lanlord
