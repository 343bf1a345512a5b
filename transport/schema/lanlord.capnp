# lanlord's wire schema: one Envelope per datagram, after the fixed header
# described in transport/WIRE.md.
#
# Evolution (Cap'n Proto's rules): new fields get the next ordinal and a
# default that means "absent"; new body kinds are new union members; fields
# and members are never removed, renumbered or retyped. Old nodes skip what
# they do not know (an unknown body kind is dropped as unknown_kind).
# `version` changes only for a change old nodes must not misread.

@0xa9dc78a32181ff03;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("lanlord::wire::schema");

# Fabric's PeerTime: incarnation = the sender's start time (ns since the
# Unix epoch), seq = grows with every message of that incarnation.
struct PeerTime {
  incarnation @0 :UInt64;
  seq @1 :UInt64;
}

struct Envelope {
  version @0 :UInt16;    # protocol version, 1
  cluster @1 :Text;      # nodes of other clusters drop the datagram
  sender @2 :Data;       # the sender's peer id (any bytes)
  time @3 :PeerTime;

  body :union {
    heartbeat @4 :Heartbeat;
    leadership @5 :Leadership;
    leave @6 :Leave;
    suspect @9 :Suspect;        # added after the first release: older nodes drop it (unknown_kind)
  }

  sentAt @7 :UInt64;     # the sender's wall clock at sending, ns since the Unix epoch
  instance @8 :UInt64;   # the sender process's start time, ns since the Unix epoch
}

# "I am alive, in these channels."
struct Heartbeat {
  channels @0 :List(Text);
  metadata @1 :Data;     # application data, e.g. a service endpoint
  timings @2 :UInt32;    # fingerprint of the sender's timings; 0 = unknown
  # The sender's heartbeat interval in ms (its next heartbeat comes within
  # it); 0 = the receiver's own heartbeat interval. Shares timings' data word.
  interval @3 :UInt32;
  # Unicast mode only (added with it); null in multicast mode, so a
  # multicast heartbeat grows by this one pointer. Older nodes skip it.
  unicast @4 :Unicast;
}

# What a heartbeat says in unicast mode: where to send to the sender, and
# members it knows.
struct Unicast {
  # The sender's advertised address, 6 or 18 bytes: the IPv4 or IPv6
  # address in network order, then the port, big-endian; empty = none.
  # Port 0, unspecified, multicast and broadcast addresses are malformed.
  address @0 :Data;
  # A passive member (lanlord watch, leader): never a candidate, no channels.
  observer @1 :Bool;
  # Up to 8 members the sender knows, newest first; advisory: the sender
  # drops entries from the back to fit the datagram limit.
  digest @2 :List(PeerAddress);
}

struct PeerAddress {
  id @0 :Data;           # a peer id, 1..64 bytes
  address @1 :Data;      # as Unicast.address, never empty
}

# A proposal, a declaration or a handoff in one channel's election.
struct Leadership {
  channel @0 :Text;
  kind @1 :Kind;
  # The fencing epoch (lib/include/lanlord/epoch.hpp): a declaration's is
  # its leadership's, a proposal's the highest the sender has heard (0:
  # none), a handoff's the one that ends.
  epoch @2 :UInt64;
  # Only in a handoff, and never empty there: the peer id that should
  # declare at once. Any other kind with a successor is malformed.
  successor @3 :Data;

  enum Kind {
    proposal @0;
    declaration @1;
    handoff @2;          # the sender resigns in favour of `successor`
  }
}

# Graceful departure. Empty today; room for a reason later.
struct Leave {
}

# "I have not heard these peers lately": each named peer answers with a
# heartbeat at once. 1 to 8 ids, none empty or longer than 64 bytes.
struct Suspect {
  peers @0 :List(Data);
}
