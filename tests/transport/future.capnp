# A later version of transport/schema/lanlord.capnp, evolved by Cap'n
# Proto's rules (new fields, a new body kind, a new enum value), as a
# newer node might send it. The codec tests check that today's decoder
# reads what it knows and drops what it cannot understand.
@0xab8184cd1278f843;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("lanlord::test::future");

struct PeerTime {
  incarnation @0 :UInt64;
  seq @1 :UInt64;
}

struct Envelope {
  version @0 :UInt16;
  cluster @1 :Text;
  sender @2 :Data;
  time @3 :PeerTime;
  body :union {
    heartbeat @4 :Heartbeat;
    leadership @5 :Leadership;
    leave @6 :Leave;
    suspect @9 :Suspect;
    ping @11 :Void;       # new body kind
  }
  sentAt @7 :UInt64;
  instance @8 :UInt64;
  priority @10 :UInt32;   # new field
}

struct Heartbeat {
  channels @0 :List(Text);
  metadata @1 :Data;
  timings @2 :UInt32;
  interval @3 :UInt32;
  unicast @4 :Unicast;
  zone @5 :Text;          # new field
}

struct Unicast {
  address @0 :Data;
  observer @1 :Bool;
  digest @2 :List(PeerAddress);
  relay @3 :Bool;         # new field
}

struct PeerAddress {
  id @0 :Data;
  address @1 :Data;
  rtt @2 :UInt32;         # new field
}

struct Leadership {
  channel @0 :Text;
  kind @1 :Kind;
  epoch @2 :UInt64;
  successor @3 :Data;
  term @4 :UInt64;        # new field
  enum Kind {
    proposal @0;
    declaration @1;
    handoff @2;
    abdication @3;        # new value
  }
}

struct Leave {
  reason @0 :Text;        # new field
}

struct Suspect {
  peers @0 :List(Data);
  since @1 :UInt64;       # new field
}
