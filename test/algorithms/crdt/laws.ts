/**
 * The state-based CRDT laws, as fast-check properties any CRDT here is run through: merge is
 * commutative, associative and idempotent on states replicas can actually reach, and replicas
 * that receive every state ever sent, in any order and with duplicates, converge to the same
 * state (the join of everything sent).
 *
 * Reachable states come from random programs on three replicas: each step is an operation at
 * one replica, or one replica merging another's current state (so states carry causal history,
 * as they do in a real run). Every state a step produces is "sent"; delivery shuffles the sent
 * states (with duplicates) with a small seeded PRNG, one order per receiving replica.
 */
import fc from "fast-check";
import { expect, it } from "vitest";

export interface CrdtModel<R, Op> {
  /** A fresh replica owned by `node`. */
  replica(node: string): R;
  /** A random operation. */
  op: fc.Arbitrary<Op>;
  apply(replica: R, op: Op): void;
  copy(replica: R): R;
  /** Merges `from` into `into` in place. */
  merge(into: R, from: R): void;
  /** The replica's state as plain JSON, compared for equality. */
  state(replica: R): unknown;
}

export const NODES = ["a", "b", "c"] as const;

type Step<Op> = { at: number; op: Op } | { at: number; from: number };

function program<Op>(op: fc.Arbitrary<Op>): fc.Arbitrary<Step<Op>[]> {
  const replica = fc.integer({ min: 0, max: NODES.length - 1 });
  return fc.array(
    fc.oneof(
      { weight: 3, arbitrary: fc.record({ at: replica, op }) },
      { weight: 1, arbitrary: fc.record({ at: replica, from: replica }) },
    ),
    { maxLength: 30 },
  );
}

/** Runs `steps`; returns the three final replicas and every state produced on the way. */
function run<R, Op>(
  model: CrdtModel<R, Op>,
  steps: readonly Step<Op>[],
): { replicas: R[]; sent: R[] } {
  const replicas = NODES.map((node) => model.replica(node));
  const sent: R[] = [];
  for (const step of steps) {
    const replica = replicas[step.at]!;
    if ("op" in step) model.apply(replica, step.op);
    else model.merge(replica, model.copy(replicas[step.from]!));
    sent.push(model.copy(replica));
  }
  return { replicas, sent };
}

/** mulberry32: a tiny seeded PRNG for shuffling deliveries inside a property. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function crdtLaws<R, Op>(model: CrdtModel<R, Op>, seed: number): void {
  const join = (a: R, b: R): R => {
    const result = model.copy(a);
    model.merge(result, b);
    return result;
  };
  const stateOf = (replica: R): string => JSON.stringify(model.state(replica));

  it("merge is commutative, associative and idempotent", () => {
    fc.assert(
      fc.property(program(model.op), (steps) => {
        const [a, b, c] = run(model, steps).replicas as [R, R, R];
        expect(stateOf(join(a, b))).toBe(stateOf(join(b, a)));
        expect(stateOf(join(join(a, b), c))).toBe(stateOf(join(a, join(b, c))));
        expect(stateOf(join(a, a))).toBe(stateOf(a));
        expect(stateOf(join(join(a, b), b))).toBe(stateOf(join(a, b)));
      }),
      { seed, numRuns: 300 },
    );
  });

  it("replicas converge for any delivery order, with duplicates", () => {
    fc.assert(
      fc.property(
        program(model.op),
        fc.integer(),
        fc.nat({ max: 20 }),
        (steps, shuffleSeed, duplicates) => {
          const { replicas, sent } = run(model, steps);
          const random = prng(shuffleSeed);
          const receivers = NODES.map((node) => model.replica(node));
          for (const receiver of receivers) {
            const deliveries = [...sent];
            for (let i = 0; i < duplicates && sent.length > 0; i++) {
              deliveries.push(sent[Math.floor(random() * sent.length)]!);
            }
            for (let i = deliveries.length - 1; i > 0; i--) {
              const j = Math.floor(random() * (i + 1));
              [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
            }
            for (const state of deliveries) model.merge(receiver, state);
          }
          const everything = replicas.reduce(join, model.replica("z"));
          for (const receiver of receivers) expect(stateOf(receiver)).toBe(stateOf(everything));
        },
      ),
      { seed: seed + 1, numRuns: 200 },
    );
  });
}
