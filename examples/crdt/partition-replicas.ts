/**
 * Why CRDTs: three replicas keep taking writes through a network partition, then heal.
 *
 * Scenario: replicas a, b and c; a is cut off from b and c for a while (b and c still talk).
 * Every replica keeps serving writes locally, as an available (AP) store does. When the
 * partition heals, every replica merges every other's state.
 *
 *   1. A page-view counter. The naive way stores "the count" in a last-writer-wins register:
 *      an increment reads the local count and writes count + 1, stamped by the node's hybrid
 *      logical clock. Each side of the partition counts its own views, and at the merge one
 *      side's register wins: the other side's increments are lost. A `GCounter` keeps one
 *      entry per replica, so the merge adds both sides: the true total.
 *   2. Stock left, with sales and a restock. A `PNCounter` converges to the exact balance,
 *      negative here: both sides sold the last units while apart. A CRDT cannot prevent that
 *      oversell (that needs coordination), but it reports it exactly instead of hiding it.
 *   3. A shopping cart. Before the partition it holds milk. During it, a removes the milk while
 *      b (who had seen the milk too) adds milk again, and c adds eggs. A last-writer-wins set
 *      (an `LWWRegister<boolean>` per item) keeps whichever of the add and the remove has the
 *      later timestamp: a's remove, so b's add is silently lost. An `ORSet` removes only the
 *      adds a had observed: b's concurrent add survives (add wins).
 *
 * Physical time is one shared step counter (no skew: the loss in 1 and 3 is not a clock
 * problem, it is what last-writer-wins does to concurrent writes).
 *
 * Run: npx tsx --conditions=distsim-source examples/crdt/partition-replicas.ts
 */
import { GCounter, HybridLogicalClock, LWWRegister, ORSet, PNCounter } from "distsim";
import { formatTable } from "../support/table.js";

const NODES = ["a", "b", "c"] as const;
type Node = (typeof NODES)[number];
/** Which replicas can talk: during the partition, a alone and b with c. */
const SIDES: Node[][] = [["a"], ["b", "c"]];

let stepNs = 0;
const physical = { nowNs: () => (stepNs += 1_000_000) };
const clocks = Object.fromEntries(
  NODES.map((node) => [node, new HybridLogicalClock(physical, { name: node })]),
) as Record<Node, HybridLogicalClock>;

/** Gossip within each side (or everywhere, healed): every replica merges every reachable one. */
function gossip<R extends { merge(other: R): unknown }>(
  replicas: Record<Node, R>,
  sides: Node[][],
  onMerge: (node: Node) => void = () => {},
): void {
  for (const side of sides) {
    for (const to of side) {
      for (const from of side) if (from !== to) replicas[to].merge(replicas[from]);
      onMerge(to);
    }
  }
}

const healed: Node[][] = [[...NODES]];

// 1. Page views: a counts 5 while cut off, b 3 and c 4.
const views: Record<Node, number> = { a: 5, b: 3, c: 4 };
const naive = Object.fromEntries(NODES.map((n) => [n, new LWWRegister<number>(n)])) as Record<
  Node,
  LWWRegister<number>
>;
const gCounters = Object.fromEntries(NODES.map((n) => [n, new GCounter(n)])) as Record<
  Node,
  GCounter
>;
const seeNaive = (node: Node) => {
  const stamp = naive[node].timestamp;
  if (stamp !== undefined) clocks[node].receive(stamp);
};
for (let round = 0; round < 5; round++) {
  for (const node of NODES) {
    if (round >= views[node]) continue;
    naive[node].set((naive[node].value ?? 0) + 1, clocks[node].tick());
    gCounters[node].increment();
    gossip(naive, SIDES, seeNaive);
    gossip(gCounters, SIDES);
  }
}
gossip(naive, healed, seeNaive);
gossip(gCounters, healed);
const trueViews = views.a + views.b + views.c;

// 2. Stock: 10 units; a sells 6 while cut off, b sells 4 and c sells 3, c restocks 2.
const stock = Object.fromEntries(NODES.map((n) => [n, new PNCounter(n)])) as Record<
  Node,
  PNCounter
>;
stock.a.increment(10);
gossip(stock, healed);
stock.a.decrement(6);
stock.b.decrement(4);
stock.c.decrement(3).increment(2);
gossip(stock, SIDES);
gossip(stock, healed);

// 3. The cart: milk before the partition; then a removes it, b re-adds it, c adds eggs.
const orCarts = Object.fromEntries(NODES.map((n) => [n, new ORSet(n)])) as Record<Node, ORSet>;
const lwwCarts = Object.fromEntries(
  NODES.map((n) => [n, new Map<string, LWWRegister<boolean>>()]),
) as Record<Node, Map<string, LWWRegister<boolean>>>;
const lwwSet = (node: Node, item: string, present: boolean) => {
  const cart = lwwCarts[node];
  if (!cart.has(item)) cart.set(item, new LWWRegister<boolean>(node));
  cart.get(item)!.set(present, clocks[node].tick());
};
const lwwMerge = (sides: Node[][]) => {
  for (const side of sides) {
    for (const to of side) {
      for (const from of side) {
        if (from === to) continue;
        for (const [item, register] of lwwCarts[from]) {
          if (!lwwCarts[to].has(item)) lwwCarts[to].set(item, new LWWRegister<boolean>(to));
          lwwCarts[to].get(item)!.merge(register);
        }
      }
      for (const register of lwwCarts[to].values()) clocks[to].receive(register.timestamp!);
    }
  }
};
const lwwItems = (node: Node) =>
  [...lwwCarts[node]]
    .filter(([, register]) => register.value === true)
    .map(([item]) => item)
    .sort();

orCarts.a.add("milk");
lwwSet("a", "milk", true);
gossip(orCarts, healed);
lwwMerge(healed);
orCarts.b.add("milk");
lwwSet("b", "milk", true);
orCarts.c.add("eggs");
lwwSet("c", "eggs", true);
orCarts.a.remove("milk"); // a's remove comes last in time, so last-writer-wins keeps it
lwwSet("a", "milk", false);
gossip(orCarts, SIDES);
lwwMerge(SIDES);
gossip(orCarts, healed);
lwwMerge(healed);

const agree = <T>(read: (node: Node) => T) =>
  NODES.every((n) => JSON.stringify(read(n)) === JSON.stringify(read("a"))) ? "yes" : "no";

console.log("Three replicas, a partitioned from b and c, then healed and merged.\n");
console.log(
  formatTable(
    ["what", "kept by", "after heal", "should be", "replicas agree"],
    [
      [
        "page views",
        "LWW register",
        String(naive.a.value),
        String(trueViews),
        agree((n) => naive[n].value),
      ],
      [
        "page views",
        "GCounter",
        String(gCounters.a.value),
        String(trueViews),
        agree((n) => gCounters[n].value),
      ],
      [
        "stock left",
        "PNCounter",
        String(stock.a.value),
        String(10 - 6 - 4 - 3 + 2),
        agree((n) => stock[n].value),
      ],
      ["cart", "LWW set", lwwItems("a").join(" ") || "-", "eggs milk", agree(lwwItems)],
      ["cart", "ORSet", orCarts.a.value.join(" "), "eggs milk", agree((n) => orCarts[n].value)],
    ],
  ),
);
console.log(
  `\nThe LWW register lost ${trueViews - (naive.a.value ?? 0)} of ${trueViews} views: each ` +
    "side's count overwrote the other's. The LWW set lost b's concurrent add of milk.",
);
console.log(`The ORSet's state, as a replica sends it: ${JSON.stringify(orCarts.a)}`);
