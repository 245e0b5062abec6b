/**
 * The check model of `MembershipProtocol` (SWIM), for `distsim check explore/membership.ts` and
 * `npm run explore`: a small cluster on a datacenter network under crashes and restarts, pauses,
 * partitions (one-way included), loss and duplication, checked for:
 *
 * - "crashed member declared dead": a member down for `detectionBound` seconds is seen dead by
 *   every member that has been up (not crashed, not paused) all that time;
 * - views converge after heal (the liveness phase's "progress after heal"): once every fault is
 *   healed, within 25 seconds a sample finds every member seeing every member alive (so no live,
 *   reachable member stays declared dead: refutation works), so all views are the same.
 *
 * SWIM reads no clock (only timers), so clock skew does not apply. `membershipModel({ planted:
 * true })` is the test-only variant with a planted bug (a refutation that does not bump the
 * incarnation), which the checks catch. It imports the sources by path, so worker threads load
 * it under tsx with no build.
 */
import {
  always,
  type CheckModel,
  conditions,
  type FaultScheduleSpec,
  MembershipProtocol,
  Network,
  NetworkLink,
  randomFaultSchedule,
  Simulation,
  type SwimMember,
} from "../src/index.js";

export const SAFETY = 30;
const PROBE_INTERVAL = 0.5;
const SUSPICION_TIMEOUT = 2;
const CONVERGE_WITHIN = 25;
const SAMPLE_EVERY = 0.1;

export interface MembershipModelOptions {
  /** The planted bug: refutations do not bump the incarnation. */
  readonly planted?: boolean;
  /** Members in the cluster (default 5). */
  readonly members?: number;
  /** Length of the safety phase (default SAFETY). */
  readonly safety?: number;
}

const memberName = (i: number): string => `m-${i}`;

/** Seconds within which every continuously-up member declares a crashed one dead. */
export function detectionBound(members: number): number {
  // A round visits every member once (<= n periods), a target can fall at a round's start then
  // the next's end (2n), reprobes of the dead take one period in `reprobeDeadEvery` (x 1.25),
  // then the failed probe's period, the suspicion, and slack for pauses between samples.
  return (2.5 * members + 3) * PROBE_INTERVAL + SUSPICION_TIMEOUT + 1;
}

export function membershipModel(options: MembershipModelOptions = {}): CheckModel {
  const safety = options.safety ?? SAFETY;
  const defaultMembers = options.members ?? 5;
  const clusterOf = new WeakMap<Simulation, MembershipProtocol>();
  const convergedSamples = new WeakMap<Simulation, number>();
  return {
    safety,
    build: ({ seed, params }) => {
      const members = (params.members as number | undefined) ?? defaultMembers;
      // (The schedule names the default members, so `members` is not shrinkable.)
      const sim = new Simulation({ seed });
      new Network(sim, "net", {
        defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()),
      });
      const swim = new MembershipProtocol(sim, "swim", {
        members: Array.from({ length: members }, (_, i) => memberName(i)),
        probeInterval: PROBE_INTERVAL,
        ackTimeout: 0.1,
        indirectProbes: 2,
        suspicionTimeout: SUSPICION_TIMEOUT,
        recordEvents: false,
      });
      if (options.planted === true) swim._plantedRefuteWithoutBump = true;
      clusterOf.set(sim, swim);
      return sim;
    },
    faults: (seed) => membershipFaults(seed, defaultMembers, safety),
    checks: (sim) => {
      const swim = clusterOf.get(sim)!;
      const bound = detectionBound(swim.members.length);
      const boundNs = bound * 1e9;
      const members = swim.members;
      // When each member was last down or paused (or crashed since the last look), and since when it is down.
      const lastTroubleNs = members.map(() => 0);
      const downSinceNs = members.map(() => -1);
      const crashes = members.map(() => 0);
      const pauses = members.map(() => 0);
      always(
        sim,
        "crashed member declared dead",
        () => {
          const now = sim.nowNs;
          for (let i = 0; i < members.length; i++) {
            const m = members[i]!;
            const troubled =
              !m.isUp ||
              m.isPaused ||
              m.counters.crashes !== crashes[i] ||
              m.counters.pauses !== pauses[i];
            crashes[i] = m.counters.crashes;
            pauses[i] = m.counters.pauses;
            if (troubled) lastTroubleNs[i] = now;
            if (!m.isUp) {
              if (downSinceNs[i]! < 0) downSinceNs[i] = now;
            } else downSinceNs[i] = -1;
          }
          for (let x = 0; x < members.length; x++) {
            const since = downSinceNs[x]!;
            if (since < 0 || now - since < boundNs) continue;
            for (let y = 0; y < members.length; y++) {
              // Only a member untroubled since x went down owes the verdict.
              if (y === x || lastTroubleNs[y]! > since) continue;
              const seen = members[y]!.viewOf(members[x]!);
              if (seen !== null && (seen.state === "alive" || seen.state === "suspect")) {
                return `${members[x]!.name} down since ${since / 1e9}s is still ${seen.state} to ${members[y]!.name} at ${now / 1e9}s (bound ${bound}s)`;
              }
            }
          }
          if (converged(members) === true)
            convergedSamples.set(sim, (convergedSamples.get(sim) ?? 0) + 1);
          return true;
        },
        { every: SAMPLE_EVERY },
      );
    },
    // After the heal, some sample must find the views converged (the safety phase's length is
    // the shrinker's to cut, so the check hangs on the heal, not on a fixed time).
    liveness: {
      within: CONVERGE_WITHIN,
      progress: (sim) => convergedSamples.get(sim) ?? 0,
    },
  };
}

/** Every member is up and sees every member alive, and so all views agree. */
function converged(members: readonly SwimMember[]): true | string {
  for (const observer of members) {
    if (!observer.isUp) return `${observer.name} is down`;
    for (const member of members) {
      const seen = observer.viewOf(member);
      if (seen === null || seen.state !== "alive") {
        return `${observer.name} sees ${member.name} ${seen === null ? "unknown" : seen.state}`;
      }
    }
  }
  return true;
}

export function membershipFaults(seed: number, members: number, safety: number): FaultScheduleSpec {
  const nodes = Array.from({ length: members }, (_, i) => memberName(i));
  return randomFaultSchedule({
    seed,
    horizon: safety - 5,
    start: 1,
    classes: [
      {
        name: "crashes",
        targets: nodes,
        timeBetweenFailures: 60,
        timeToRepair: 12,
        maxConcurrent: 2,
      },
      {
        name: "pauses",
        targets: nodes,
        kind: "pause",
        timeBetweenFailures: 40,
        timeToRepair: 3,
      },
      {
        name: "partitions",
        targets: ["net"],
        timeBetweenFailures: 20,
        timeToRepair: 5,
        partition: { nodes },
      },
      {
        name: "one-way",
        targets: ["net"],
        kind: "partition-one-way",
        timeBetweenFailures: 40,
        timeToRepair: 4,
        params: { from: [nodes[0]!], to: nodes.slice(1) },
      },
      {
        name: "loss",
        targets: ["net"],
        kind: "loss",
        timeBetweenFailures: 20,
        timeToRepair: 3,
        params: { probability: 0.3 },
      },
      {
        name: "duplication",
        targets: ["net"],
        kind: "duplication",
        timeBetweenFailures: 20,
        timeToRepair: 3,
        params: { probability: 0.3 },
      },
    ],
  });
}

const model = membershipModel();
export default model.build;
export const safety = model.safety;
export const faults = model.faults;
export const checks = model.checks;
export const liveness = model.liveness;
