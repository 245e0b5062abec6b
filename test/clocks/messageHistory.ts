/**
 * Random message histories for the logical-clock properties, and happened-before computed
 * from a history's graph alone (no clock involved), to check the clocks against.
 *
 * A history is a sequence of events at n nodes: a local event, a send to another node, or the
 * receive of a message in flight to the node (any of them, so messages are reordered). Its
 * happened-before relation is the transitive closure of two kinds of edge: each event to the
 * next at the same node, and each send to its receive.
 */
import fc from "fast-check";

export interface HistoryEvent {
  readonly node: number;
  readonly kind: "local" | "send" | "receive";
  /** The message sent or received (an index into the history's sends), or -1. */
  readonly message: number;
  /** True milliseconds since the previous event (for clocks that read time). */
  readonly gapMs: number;
}

export interface History {
  readonly nodes: number;
  readonly events: readonly HistoryEvent[];
}

interface Command {
  readonly node: number;
  readonly op: number;
  readonly pick: number;
  readonly gapMs: number;
}

function interpret(nodes: number, commands: readonly Command[]): History {
  const events: HistoryEvent[] = [];
  const inFlight: { message: number; to: number }[] = [];
  let messages = 0;
  for (const { node: rawNode, op, pick, gapMs } of commands) {
    const node = rawNode % nodes;
    if (op === 1) {
      const to = (node + 1 + (pick % (nodes - 1))) % nodes;
      inFlight.push({ message: messages, to });
      events.push({ node, kind: "send", message: messages++, gapMs });
      continue;
    }
    const waiting = inFlight.filter((m) => m.to === node);
    if (op === 2 && waiting.length > 0) {
      const chosen = waiting[pick % waiting.length]!;
      inFlight.splice(inFlight.indexOf(chosen), 1);
      events.push({ node, kind: "receive", message: chosen.message, gapMs });
      continue;
    }
    events.push({ node, kind: "local", message: -1, gapMs });
  }
  return { nodes, events };
}

/** Histories of 2-5 nodes and up to `maxEvents` events, a third of them receives or more. */
export function histories(maxEvents = 60): fc.Arbitrary<History> {
  return fc
    .tuple(
      fc.integer({ min: 2, max: 5 }),
      fc.array(
        fc.record({
          node: fc.nat({ max: 100 }),
          op: fc.integer({ min: 0, max: 2 }),
          pick: fc.nat({ max: 100 }),
          gapMs: fc.integer({ min: 0, max: 20 }),
        }),
        { maxLength: maxEvents },
      ),
    )
    .map(([nodes, commands]) => interpret(nodes, commands));
}

/**
 * `before[a][b]`: event a happened before event b, from the history's graph (program order
 * and send-to-receive edges, closed transitively). Events are listed in an order every edge
 * follows, so each event's predecessors are known before it.
 */
export function happenedBefore(history: History): boolean[][] {
  const count = history.events.length;
  const before = Array.from({ length: count }, () => new Array<boolean>(count).fill(false));
  const lastAt = new Array<number>(history.nodes).fill(-1);
  const sendOf = new Map<number, number>();
  history.events.forEach((event, b) => {
    const predecessors: number[] = [];
    if (lastAt[event.node]! >= 0) predecessors.push(lastAt[event.node]!);
    if (event.kind === "receive") predecessors.push(sendOf.get(event.message)!);
    if (event.kind === "send") sendOf.set(event.message, b);
    for (const p of predecessors) {
      before[p]![b] = true;
      for (let a = 0; a < count; a++) if (before[a]![p]) before[a]![b] = true;
    }
    lastAt[event.node] = b;
  });
  return before;
}
