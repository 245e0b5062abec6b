/**
 * Clock skew breaks last-writer-wins; a hybrid logical clock fixes it.
 *
 * Scenario: two writers, a and b, share one register that keeps the write with the largest
 * timestamp (last-writer-wins, as Cassandra and many caches do). Each writer, every ~100 ms
 * (exponential think time), reads the register and then writes a new value over what it read:
 * its write is causally later than the one it saw. The register acknowledges every write,
 * including those it ignores because their timestamp is older than the stored one. Messages
 * cross a datacenter network (~0.5 ms). We count the lost updates: writes acknowledged but
 * never visible, because the register kept an older timestamp. A lost write whose writer had
 * read the stored one (its vector clock says the stored write happened before it) is a lost
 * causal update: a later write beaten by an earlier one. Concurrent writes (each writer read
 * the register before the other's write landed) are LWW's documented coin toss, not a bug.
 *
 * Four runs, same seed, same think times:
 *   1. physical timestamps, clocks in sync: causal order and timestamp order agree;
 *   2. physical timestamps, b's clock 50 ms behind (`NodeClock`, offset -0.05): whenever b
 *      writes within 50 ms of a's write that it just read, b's timestamp is older and its
 *      write is silently dropped;
 *   3. the same skew, and NTP steps b's clock back into sync at 30 s: no loss after that;
 *   4. b still 50 ms behind, timestamps from a `HybridLogicalClock` over each node's clock,
 *      carried on every message (the read's reply carries the stored timestamp, which the
 *      writer's clock takes in): a write is always stamped after what its writer has seen,
 *      so no causal update is lost; concurrent writes still resolve one way or the other.
 *
 * Run: npx tsx --conditions=distsim-source examples/clocks/clock-skew-lww.ts
 */
import {
  conditions,
  Entity,
  type HlcTimestamp,
  HybridLogicalClock,
  type Message,
  Network,
  NetworkLink,
  NodeClock,
  type NodeClockOptions,
  Simulation,
  VectorClock,
} from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 1;
const RUN_FOR_S = 60;
const MEAN_THINK_S = 0.1;
const SKEW_S = -0.05;
const NTP_STEP_AT_S = 30;

/** What the register holds: a value, its timestamp, and (for the tally) its causal history. */
interface Version {
  readonly value: string;
  readonly stamp: HlcTimestamp;
  readonly writer: string;
  readonly causal: VectorClock;
}

type RegisterRequest =
  | { readonly op: "read" }
  | { readonly op: "write"; readonly version: Version };

/** Last-writer-wins: the larger (wall, logical) wins, the writer's name breaks a tie. */
function newer(a: Version, b: Version): boolean {
  const order = HybridLogicalClock.compare(a.stamp, b.stamp);
  return order !== 0 ? order > 0 : a.writer > b.writer;
}

class Register extends Entity<RegisterRequest, Version | "ack"> {
  stored: Version = {
    value: "initial",
    stamp: { wallNs: Number.MIN_SAFE_INTEGER, logical: 0 },
    writer: "",
    causal: new VectorClock(),
  };
  lostCausal = 0;
  lostConcurrent = 0;
  firstLostCausal = "";

  override handle(request: Message<RegisterRequest>): void {
    const body = request.payload;
    if (body.op === "read") {
      this.reply(request, this.stored);
      return;
    }
    const incoming = body.version;
    if (newer(incoming, this.stored)) {
      this.stored = incoming;
    } else if (this.stored.causal.happenedBefore(incoming.causal)) {
      this.lostCausal++;
      if (this.firstLostCausal === "") {
        this.firstLostCausal =
          `at t=${this.now.toFixed(3)}s ${incoming.writer} wrote over ${this.stored.writer}'s ` +
          `write, which it had read, but stamped it ${seconds(incoming.stamp)} on its clock, ` +
          `before ${seconds(this.stored.stamp)}: the register kept the older write`;
      }
    } else {
      this.lostConcurrent++;
    }
    this.reply(request, "ack"); // acknowledged either way
  }
}

const seconds = (stamp: HlcTimestamp) => `${(stamp.wallNs / 1e9).toFixed(3)}s`;

class Writer extends Entity {
  acked = 0;
  /** This node's physical clock. */
  readonly clock: NodeClock;
  private readonly hlc: HybridLogicalClock | null;
  private readonly think = this.random("think");
  private readonly causal = new VectorClock();

  constructor(
    sim: Simulation,
    name: string,
    private readonly register: Register,
    clock: NodeClockOptions,
    hybrid: boolean,
  ) {
    super(sim, name);
    this.clock = new NodeClock(this, clock);
    this.hlc = hybrid ? new HybridLogicalClock(this.clock) : null;
    this.start(this.work);
  }

  /** The physical clock's reading, or the hybrid clock's next timestamp. */
  private stampNow(): HlcTimestamp {
    if (this.hlc !== null) return this.hlc.send();
    return { wallNs: this.clock.nowNs(), logical: 0 };
  }

  private *work() {
    for (;;) {
      yield this.think.exponential(MEAN_THINK_S);
      if (this.now >= RUN_FOR_S) return;
      const seen = (yield* this.call(this.register, "read", { op: "read" })) as Version;
      this.causal.merge(seen.causal).increment(this.name);
      // The hybrid clock takes in the timestamp the reply carried (not the initial value's).
      if (this.hlc !== null && seen.writer !== "") this.hlc.receive(seen.stamp);
      const version: Version = {
        value: `${this.name}${this.acked}`,
        stamp: this.stampNow(),
        writer: this.name,
        causal: this.causal.copy(),
      };
      yield* this.call(this.register, "write", { op: "write", version });
      this.acked++;
    }
  }
}

interface Setup {
  readonly timestamps: string;
  readonly clockB: string;
  readonly clock: NodeClockOptions;
  readonly hybrid: boolean;
}

function run(setup: Setup) {
  const sim = new Simulation({ seed: SEED });
  new Network(sim, "net", { defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()) });
  const register = new Register(sim, "register");
  const a = new Writer(sim, "a", register, {}, setup.hybrid);
  const b = new Writer(sim, "b", register, setup.clock, setup.hybrid);
  sim.run();
  const acked = a.acked + b.acked;
  const lost = register.lostCausal + register.lostConcurrent;
  return {
    row: [
      setup.timestamps,
      setup.clockB,
      String(acked),
      String(lost),
      String(register.lostCausal),
      String(register.lostConcurrent),
      `${((100 * register.lostCausal) / b.acked).toFixed(1)}%`,
    ],
    example: register.firstLostCausal,
  };
}

const setups: Setup[] = [
  { timestamps: "physical", clockB: "in sync", clock: {}, hybrid: false },
  { timestamps: "physical", clockB: "50 ms behind", clock: { offset: SKEW_S }, hybrid: false },
  {
    timestamps: "physical",
    clockB: `50 ms behind, NTP step at ${NTP_STEP_AT_S}s`,
    clock: { offset: SKEW_S, corrections: [{ at: NTP_STEP_AT_S, by: -SKEW_S }] },
    hybrid: false,
  },
  { timestamps: "hybrid logical", clockB: "50 ms behind", clock: { offset: SKEW_S }, hybrid: true },
];
const results = setups.map(run);

console.log(
  `Last-writer-wins register, writers a and b each reading then writing every ~${MEAN_THINK_S * 1000} ms ` +
    `for ${RUN_FOR_S} s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "timestamps",
      "b's clock",
      "writes acked",
      "lost",
      "lost causal updates",
      "lost concurrent",
      "of b's writes",
    ],
    results.map((result) => result.row),
  ),
);
console.log(
  "\nlost: writes acknowledged but never visible (the register kept an older timestamp).\n" +
    "lost causal updates: the writer had read the very write that beat it.\n" +
    "lost concurrent: neither writer had seen the other's write (LWW picks one; that is by design).",
);
console.log(`\nThe first lost causal update with b 50 ms behind: ${results[1]!.example}.`);
