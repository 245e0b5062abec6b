/**
 * Same seed, same run: why every random draw comes from a named, seeded stream.
 *
 * Scenario: a small gossip model. Five nodes each wake at random intervals and message a
 * random peer, which answers after a random delay. `checkDeterminism` builds the model twice
 * from one seed and compares the trace hash, a fingerprint of every event's time, type and
 * entity. Three builds are checked:
 *   - seeded streams only: the same seed replays event for event; another seed differs;
 *   - seeded streams plus an extra node: node-1's wake-up gaps do not shift, because each
 *     stream is derived from (seed, entity name, stream name), not from a shared sequence;
 *   - one node that draws from a generator shared across runs (standing in for Math.random):
 *     the check catches it and names the seed.
 *
 * Run: npx tsx --conditions=distsim-source examples/core/same-seed-same-run.ts
 */
import { checkDeterminism, Entity, type Message, Simulation } from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 4711;
const NODES = 5;
const RUN_FOR_S = 60;

/** Stands in for Math.random: state that lives outside the simulation and survives runs. */
let unseededState = 1;
function unseeded(): number {
  unseededState = (unseededState * 48271) % 2147483647;
  return unseededState / 2147483647;
}

class GossipNode extends Entity<string, string> {
  private readonly timing = this.random("timing");
  private readonly peerChoice = this.random("peers");
  private readonly service = this.random("service");
  peers: GossipNode[] = [];
  readonly gaps: number[] = [];
  constructor(
    sim: Simulation,
    name: string,
    private readonly leaky: boolean,
  ) {
    super(sim, name);
    this.start(this.gossip);
  }

  private *gossip() {
    for (;;) {
      const gap = this.leaky ? unseeded() : this.timing.next();
      this.gaps.push(gap);
      yield gap;
      if (this.now > RUN_FOR_S) return;
      const peer = this.peerChoice.pick(this.peers);
      yield* this.call(peer, "rumour", `from ${this.name}`);
    }
  }

  override *handle(message: Message<string>) {
    yield this.service.exponential(0.01);
    this.reply(message, "ack");
  }
}

function build(extraNode: boolean, leaky: boolean) {
  return (seed: number) => {
    const sim = new Simulation({ seed });
    const nodes = Array.from(
      { length: NODES },
      (_, i) => new GossipNode(sim, `node-${i}`, leaky && i === 0),
    );
    if (extraNode) nodes.push(new GossipNode(sim, "node-extra", false));
    for (const node of nodes) node.peers = nodes.filter((peer) => peer !== node);
    return sim;
  };
}

/** node-1's first wake-up gaps (ms): adding a node must not shift them. */
function gapsOfNode1(extraNode: boolean): string {
  const sim = build(extraNode, false)(SEED);
  sim.run({ until: RUN_FOR_S });
  const gaps = (sim.entity("node-1") as GossipNode).gaps;
  return gaps
    .slice(0, 4)
    .map((gap) => (gap * 1000).toFixed(1))
    .join(", ");
}

const rows: string[][] = [];
const seeded = checkDeterminism(build(false, false), SEED);
rows.push([
  "seeded streams",
  seeded.first.traceHash,
  seeded.second.traceHash,
  seeded.deterministic ? "same run" : "DIFFERENT",
]);
const other = checkDeterminism(build(false, false), SEED + 1);
rows.push([
  `seeded, seed ${SEED + 1}`,
  other.first.traceHash,
  other.second.traceHash,
  other.deterministic ? "same run" : "DIFFERENT",
]);
const leaky = checkDeterminism(build(false, true), SEED);
rows.push([
  "one unseeded draw",
  leaky.first.traceHash,
  leaky.second.traceHash,
  leaky.deterministic ? "same run" : "DIFFERENT",
]);

console.log(`Same seed, same run: ${NODES} gossiping nodes, ${RUN_FOR_S}s, seed ${SEED}\n`);
console.log(formatTable(["model", "first run", "second run", "verdict"], rows));
console.log(`\nnode-1's first wake-up gaps (ms), ${NODES} nodes:      ${gapsOfNode1(false)}`);
console.log(`node-1's first wake-up gaps (ms), a sixth added: ${gapsOfNode1(true)}`);
if (!leaky.deterministic) {
  console.log(
    `Seed ${SEED} does not replay with the unseeded draw: ${leaky.differences.join("; ")}.`,
  );
}
