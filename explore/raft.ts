/**
 * Check model: a key-value store on Raft (`RaftKV`) under the nemesis, for `distsim check`,
 * `npm run explore` and the CI test (test/components/consensus/raftExplore.test.ts).
 *
 * Three nodes (pre-vote, check-quorum and snapshots on some seeds, off on others) serve
 * `clients` clients doing `operations` random gets, puts and cas on two keys, each recorded in
 * a history. The fault schedule drawn from the seed crashes (host and process), pauses and
 * skews the clocks of nodes, cuts the network into random partitions, one-way included, and
 * loses and duplicates messages. Checked:
 *
 * - "one leader per term" (always): no two nodes lead in one term;
 * - "committed entries agree" (always): every node applies the same entry at each index
 *   (state-machine safety: no committed entry lost or changed);
 * - "linearizable" (once the clients are done and the cluster settled): the history checked
 *   with the key-value model.
 *
 * `raftModel({ createNode })` builds the same model on a variant of RaftNode (the planted
 * bugs of test/components/consensus/raftPlanted.ts, explored by raftExplore.test.ts); its other options (cluster size, workload,
 * nemesis, length) make variants such as explore/raft-old-term.ts. The file imports the sources by
 * path, so worker threads load it under tsx with no build.
 */
import {
  always,
  checkLinearizability,
  Entity,
  type FaultScheduleSpec,
  HistoryRecorder,
  type KVCommand,
  type KVResult,
  LeaderPerTerm,
  models,
  Network,
  NetworkLink,
  type NetworkLinkOptions,
  NotLeaderError,
  ProposalDroppedError,
  ProposalLostError,
  RaftKV,
  type RaftKVOptions,
  type RaftLogEntry,
  RaftNode,
  RaftRefusedError,
  randomFaultSchedule,
  Simulation,
} from "../src/index.js";

export const SAFETY = 8;
const HORIZON = 4;
const SETTLE = 1;
const KEYS = ["x", "y"];
const NODES = 3;
export const NETWORK = "kv-net";

export interface RaftModelOptions {
  /** Builds each node (a planted variant). */
  readonly createNode?: RaftKVOptions<number>["createNode"];
  /** Cluster size. Default 3. */
  readonly nodes?: number;
  /** Mean seconds between a client's operations. Default 0.1. */
  readonly thinkTime?: number;
  /** The nemesis: the fault schedule of a seed, for members `names`. Default `raftFaults`. */
  readonly faults?: (seed: number, names: readonly string[]) => FaultScheduleSpec;
  /** Clients and operations per client before shrinking. Default 3 and 6. */
  readonly clients?: number;
  readonly operations?: number;
  /** Node options for every seed, over the ones drawn from the seed (pre-vote, batch size, ...). */
  readonly node?: Partial<NonNullable<RaftKVOptions<number>["node"]>>;
  /** Simulated seconds each run lasts. Default 8. */
  readonly safety?: number;
  /**
   * Node options drawn from the seed, over the defaults drawn by this model (and under
   * `node`): a variant's own mix (lease reads on some seeds, ...).
   */
  readonly nodeFromSeed?: (seed: number) => Partial<NonNullable<RaftKVOptions<number>["node"]>>;
  /**
   * Membership changes: `spares` more nodes start outside the configuration (built with
   * `members: []`, as a joining node is), and an admin changes the configuration by one server
   * every `every` seconds on average (exponential), on whichever node says it leads: it adds a
   * node outside the configuration or removes one inside (the leader included), keeping at least
   * `minMembers`. Every node, spares included, is a fault target and a client's candidate leader.
   */
  readonly reconfigure?: {
    readonly spares: number;
    readonly every: number;
    readonly minMembers: number;
  };
  /**
   * Cuts at the worst time, drawn from the seed (a nemesis no fault schedule can express: it
   * acts on the node's events): a node that wins an election is cut off from the other nodes
   * at once, before its no-op leaves, with probability `atElection`; a leader that has just
   * committed (applied) an entry, before its next AppendEntries leaves, with probability
   * `atCommit`. Clients still reach it. Each cut heals after an exponential `seconds`.
   */
  readonly leaderCuts?: {
    readonly atElection: number;
    readonly atCommit: number;
    readonly seconds: number;
  };
  /** The link between any two entities. Default `conditions.datacenter()` (0.5 ms). */
  readonly link?: NetworkLinkOptions;
}

export function names(nodes: number): string[] {
  return Array.from({ length: nodes }, (_, i) => `kv-${i + 1}`);
}

/** The fault schedule of a seed: node faults, random partitions, one-way cuts, loss, duplication. */
export function raftFaults(seed: number, nodes = NODES): FaultScheduleSpec {
  const members = names(nodes);
  const cutFrom = members[seed % nodes]!;
  return randomFaultSchedule({
    seed,
    horizon: HORIZON,
    classes: [
      {
        name: "nodes",
        targets: members,
        timeBetweenFailures: 2,
        timeToRepair: 0.4,
        maxConcurrent: nodes - 1,
        kinds: [
          { kind: "crash", weight: 3 },
          { kind: "crash", params: { kind: "process" } },
          { kind: "pause" },
          { kind: "clock-drift", params: { ppm: 50_000 } },
          { kind: "clock-step", params: { by: 0.2 } },
        ],
      },
      {
        name: "partitions",
        targets: [NETWORK],
        timeBetweenFailures: 1.5,
        timeToRepair: 0.6,
        partition: { nodes: members },
      },
      {
        name: "network",
        targets: [NETWORK],
        timeBetweenFailures: 1.5,
        timeToRepair: 0.5,
        kinds: [
          { kind: "loss", params: { probability: 0.2 } },
          { kind: "duplication", params: { probability: 0.3 } },
          {
            kind: "partition-one-way",
            params: { from: [cutFrom], to: members.filter((m) => m !== cutFrom) },
          },
        ],
      },
    ],
  });
}

/** The model, on RaftNode or a variant. */
export function raftModel(options: RaftModelOptions = {}) {
  const nodes = options.nodes ?? NODES;
  const thinkTime = options.thinkTime ?? 0.1;
  const nemesis = options.faults;
  const reconfigure = options.reconfigure;
  const everyone = names(nodes + (reconfigure?.spares ?? 0));
  const initial = everyone.slice(0, nodes);
  return {
    safety: options.safety ?? SAFETY,
    shrinkable: {
      clients: { initial: options.clients ?? 3, min: 1 },
      operations: { initial: options.operations ?? 6, min: 1 },
    },
    faults: (seed: number) =>
      nemesis === undefined ? raftFaults(seed, nodes) : nemesis(seed, everyone),
    build: ({ seed, params }: { seed: number; params: Readonly<Record<string, unknown>> }) => {
      const clients = (params.clients as number | undefined) ?? options.clients ?? 3;
      const operations = (params.operations as number | undefined) ?? options.operations ?? 6;
      const sim = new Simulation({ seed });
      if (options.link !== undefined) {
        new Network(sim, NETWORK, { defaultLink: new NetworkLink(sim, "kv-link", options.link) });
      }
      const create = options.createNode;
      const kv = new RaftKV<number>(sim, "kv", {
        members: everyone,
        node: {
          preVote: seed % 2 === 0,
          checkQuorum: seed % 2 === 0,
          snapshotEvery: seed % 3 === 0 ? 0 : 4,
          // One entry per AppendEntries: a new leader's no-op travels apart from older entries.
          maxBatch: seed % 4 < 2 ? 1 : 64,
          ...options.nodeFromSeed?.(seed),
          ...options.node,
        },
        ...(reconfigure === undefined
          ? create === undefined
            ? {}
            : { createNode: create }
          : {
              // The initial members know the initial configuration; a spare knows none yet.
              createNode: (s, name, o) => {
                const given = { ...o, members: initial.includes(name) ? initial : [] };
                return create === undefined ? new RaftNode(s, name, given) : create(s, name, given);
              },
            }),
      });
      if (reconfigure !== undefined) reconfigureNodes(sim, kv.nodes, reconfigure);

      const leaders = new LeaderPerTerm();
      const committed: RaftLogEntry<KVCommand<number>>[] = [];
      let divergence: string | null = null;
      const cut = leaderCutter(sim, kv, options.leaderCuts);
      for (const node of kv.nodes) {
        node.observeLeader = (term, name) => {
          leaders.observe(term, name);
          cut?.(node, "atElection");
        };
        node.onApplied = (index, entry) => {
          const first = committed[index];
          if (first === undefined) committed[index] = entry;
          else if (divergence === null && !sameEntry(first, entry)) {
            divergence = `${node.name} applied ${describe(entry)} at index ${index}, another node ${describe(first)}`;
          }
          if (node.isLeader) cut?.(node, "atCommit");
        };
      }
      always(sim, "one leader per term", leaders.check);
      always(sim, "committed entries agree", () => divergence ?? true);

      const history = new HistoryRecorder(sim);
      let remaining = clients;
      const done = () => {
        if (--remaining > 0) return;
        sim.at(sim.now + SETTLE, () => {
          const result = checkLinearizability(history.history, models.kv());
          const verdict =
            result.verdict === "not-linearizable"
              ? `not linearizable (key ${result.partitions?.find((p) => p.verdict === "not-linearizable")?.key ?? "?"})`
              : true;
          always(sim, "linearizable", () => verdict);
        });
      };
      const classify = (error: unknown) => (error instanceof RaftRefusedError ? "fail" : "info");
      for (let c = 0; c < clients; c++) {
        const client = kv.client(`client-${c}`, { giveUpAfter: 1 });
        const draws = client.random("workload");
        client.start(function* () {
          for (let op = 1; op <= operations; op++) {
            yield draws.exponential(thinkTime);
            const key = KEYS[draws.integer(KEYS.length)]!;
            const value = c * 100 + op;
            const roll = draws.next();
            try {
              if (roll < 0.4) {
                yield* history.record({ process: c, f: "get", key }, client.get(key));
              } else if (roll < 0.8) {
                yield* history.record(
                  { process: c, f: "put", key, value },
                  client.put(key, value),
                  { classify },
                );
              } else {
                const expected = draws.integer(2) === 0 ? null : c * 100 + op - 1;
                yield* history.record(
                  { process: c, f: "cas", key, value: [expected, value] },
                  client.cas(key, expected ?? undefined, value),
                  { classify },
                );
              }
            } catch {
              // Refused or indeterminate: recorded as such.
            }
          }
          done();
        });
      }
      return sim;
    },
  };
}

/** `leaderCuts`' nemesis: cuts a node off from the other nodes, by chance, at the events named. */
function leaderCutter(
  sim: Simulation,
  kv: RaftKV<number>,
  options: RaftModelOptions["leaderCuts"],
):
  | ((node: RaftNode<KVCommand<number>, RaftKVResult>, event: "atElection" | "atCommit") => void)
  | null {
  if (options === undefined) return null;
  const nemesis = new Entity(sim, "leader-cuts");
  const draws = nemesis.random("cuts");
  const cutOff = new Set<string>();
  return (node, event) => {
    if (cutOff.has(node.name) || draws.next() >= options[event]) return;
    cutOff.add(node.name);
    const cut = kv.network.isolate(node, { from: kv.nodes.filter((other) => other !== node) });
    nemesis.after(draws.exponential(options.seconds), () => {
      cut.heal();
      cutOff.delete(node.name);
    });
  };
}

/**
 * The admin of `reconfigure`: every so often, on a node that says it leads, adds one server
 * or removes one. Each change runs in a process of its own that nobody waits for (a leader that
 * crashes drops it), and a change refused (one in progress, not the leader any more) or lost
 * is not retried: the admin draws its next change from the configuration it finds then.
 */
function reconfigureNodes(
  sim: Simulation,
  nodes: readonly RaftNode<KVCommand<number>, RaftKVResult>[],
  options: NonNullable<RaftModelOptions["reconfigure"]>,
): void {
  const admin = new Entity(sim, "admin");
  const draws = admin.random("reconfigure");
  admin.start(
    function* () {
      for (;;) {
        yield admin.sleep(draws.exponential(options.every));
        const leader = nodes.find((node) => node.isLeader);
        if (leader === undefined) continue;
        const inside = leader.members;
        const outside = nodes.filter((node) => !inside.includes(node.name)).map((n) => n.name);
        const add =
          outside.length > 0 && (inside.length <= options.minMembers || draws.next() < 0.5);
        const server = add
          ? outside[draws.integer(outside.length)]!
          : inside[draws.integer(inside.length)]!;
        if (!add && inside.length <= options.minMembers) continue;
        admin.start(
          function* () {
            try {
              if (add) yield* leader.addServer(server);
              else yield* leader.removeServer(server);
            } catch (error) {
              // Refused, or lost to a snapshot with its outcome unknown: the next change is
              // drawn from the configuration as it then is.
              const expected =
                error instanceof NotLeaderError ||
                error instanceof ProposalDroppedError ||
                error instanceof ProposalLostError;
              if (!expected) throw error;
            }
          },
          { daemon: true },
        );
      }
    },
    { daemon: true },
  );
}

function sameEntry(
  a: RaftLogEntry<KVCommand<number>>,
  b: RaftLogEntry<KVCommand<number>>,
): boolean {
  if (a === b) return true;
  if (a.term !== b.term || a.kind !== b.kind) return false;
  if (a.kind !== "command" || b.kind !== "command") return true;
  return (
    JSON.stringify(a.command) === JSON.stringify(b.command) &&
    a.client === b.client &&
    a.seq === b.seq
  );
}

function describe(entry: RaftLogEntry<KVCommand<number>>): string {
  return entry.kind === "command"
    ? `${JSON.stringify(entry.command)} of term ${entry.term}`
    : `a ${entry.kind} of term ${entry.term}`;
}

const model = raftModel();

export const build = model.build;
export const safety = model.safety;
export const faults = model.faults;
export const shrinkable = model.shrinkable;

/** The KV result type, for variants built on this model. */
export type RaftKVResult = KVResult<number>;
