// Scenario scripts: a small line-based language, in the manner of etcd
// raft's testdata/*.txt, that builds a SimCluster of production NodeCores,
// applies faults and checks the election's outcome. One command a line;
// '#' starts a comment. Ids name nodes ("p0"); durations are an integer and
// a unit (ns, us, ms, s), e.g. 500ms.
//
//   profile NAME            fast | lan | fabric | fabric-test (before the first spawn)
//   seed N                  the cluster's seed (before the first spawn)
//   drop P                  every link loses a copy with probability P, from now on
//   duplicate P             every link duplicates a copy with probability P
//   delay D [JITTER]        every link's one-way delay (uniform in [D, D + JITTER])
//   spawn ID...             start nodes now
//   crash ID...             the processes die without a word
//   restart ID...           a new life of each (crashed or left) node
//   leave ID...             graceful stop: a leave goes out, then silence
//   yield ID                the node gives up its leadership
//   partition A B | C D     groups that cannot reach each other (unnamed
//                           nodes are alone)
//   heal                    everyone reaches everyone again
//   run D                   let D of virtual time pass
//   await-leader ID D       run until `expect-leader ID` holds, at most D
//   expect-leader ID        exactly one running leader, ID, and every running
//                           node names it (ID "none": no running node leads)
//   expect-leaders ID...    one leader per component (partition group), these,
//                           and every node of a component names its leader
//   expect-stable D         runs D, checking after every event that the set of
//                           leaders does not change
//   expect-view ID PEER...  ID's alive view is exactly these peers ("none": empty)
//   expect-rhythm ID D      ID declared throughout the last D, every
//                           leader_alive_threshold / 2 exactly
//
// Every expectation also requires that the cluster saw no safety violation
// (a node that kept leading after it believed a lower id's declaration);
// the end of a script checks that once more.
#pragma once

#include <istream>
#include <string>

namespace lanlord::test {

struct ScriptResult {
  bool ok = true;
  // "file:line: what failed" and the cluster's state, when !ok.
  std::string error;
  int expectations = 0;  // expectations that held
};

// Runs the script read from `in`; `name` is the file name errors cite.
// Stops at the first failing expectation or bad command.
ScriptResult run_script(std::istream& in, const std::string& name);
ScriptResult run_script_file(const std::string& path);

}  // namespace lanlord::test
