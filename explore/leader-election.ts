/**
 * The check model of `LeaderElection`, for `distsim check explore/leader-election.ts` and `npm
 * run explore`: five SWIM members electing by one strategy (`params.strategy`: 0 bully, 1 ring,
 * 2 randomized; the default export uses "randomized") under crashes and restarts, pauses,
 * partitions (one-way included), loss and duplication (the faults of explore/membership.ts),
 * checked for:
 *
 * - "at most one leader per term": no two nodes ever lead in the same term;
 * - a leader after heal (the liveness phase's "progress after heal"): once every fault is
 *   healed, within 30 seconds a sample finds every member following one live leader in one term.
 *
 * The election reads no clock (only timers), so clock skew does not apply. It imports the
 * sources by path, so worker threads load it under tsx with no build.
 */
import {
  always,
  type CheckModel,
  conditions,
  type ElectionStrategy,
  LeaderElection,
  MembershipProtocol,
  Network,
  NetworkLink,
  Simulation,
} from "../src/index.js";
import { membershipFaults } from "./membership.js";

export const SAFETY = 30;
const MEMBERS = 5;
const LEADER_WITHIN = 30;
const SAMPLE_EVERY = 0.1;
const STRATEGIES: readonly ElectionStrategy[] = ["bully", "ring", "randomized"];

export function leaderElectionModel(strategy: ElectionStrategy = "randomized"): CheckModel {
  const electionOf = new WeakMap<Simulation, LeaderElection>();
  const agreedSamples = new WeakMap<Simulation, number>();
  const conflicts = new WeakMap<Simulation, string>();
  return {
    safety: SAFETY,
    build: ({ seed, params }) => {
      const chosen = STRATEGIES[(params.strategy as number | undefined) ?? -1] ?? strategy;
      const sim = new Simulation({ seed });
      new Network(sim, "net", {
        defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()),
      });
      const swim = new MembershipProtocol(sim, "swim", {
        members: Array.from({ length: MEMBERS }, (_, i) => `m-${i}`),
        probeInterval: 0.5,
        ackTimeout: 0.1,
        indirectProbes: 2,
        suspicionTimeout: 2,
        recordEvents: false,
      });
      const leaders = new Map<number, string>();
      const election = new LeaderElection(sim, "election", {
        membership: swim,
        strategy: chosen,
        heartbeatInterval: 0.25,
        electionTimeout: 1,
        recordEvents: false,
        onChange: (change) => {
          if (change.leader !== change.node) return;
          const other = leaders.get(change.term);
          if (other !== undefined && other !== change.node && !conflicts.has(sim)) {
            conflicts.set(sim, `${other} and ${change.node} both led in term ${change.term}`);
          }
          leaders.set(change.term, change.node);
        },
      });
      electionOf.set(sim, election);
      return sim;
    },
    faults: (seed) => membershipFaults(seed, MEMBERS, SAFETY),
    checks: (sim) => {
      const election = electionOf.get(sim)!;
      always(sim, "at most one leader per term", () => conflicts.get(sim) ?? true);
      always(
        sim,
        "leader sampler",
        () => {
          if (election.leader() !== null) agreedSamples.set(sim, (agreedSamples.get(sim) ?? 0) + 1);
          return true;
        },
        { every: SAMPLE_EVERY },
      );
    },
    liveness: {
      within: LEADER_WITHIN,
      progress: (sim) => agreedSamples.get(sim) ?? 0,
    },
  };
}

const model = leaderElectionModel();
export default model.build;
export const safety = model.safety;
export const faults = model.faults;
export const checks = model.checks;
export const liveness = model.liveness;
