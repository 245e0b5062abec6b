/**
 * `crash`: each target crashes at `at` and recovers `for` seconds later (a restart after a
 * downtime); with no `for` it stays down. `params.kind` says how: "host" (the default: the
 * machine dies, callers learn by their timeouts, a disk it owns loses power) or "process" (the
 * process dies on a live host: callers' open calls are reset at once, its disk keeps its
 * buffer). A target already down when the fault fires (another fault crashed it) is left
 * alone, and only what this fault crashed is recovered.
 */
import type { CrashKind, Entity } from "../core/entity.js";
import type { TraceRecord } from "../core/trace.js";
import { type ActiveFault, checkParamNames, checkTargetsExist, type FaultKind } from "./kind.js";
import { type FaultSpec, faultFieldError } from "./spec.js";

type Effects = Record<string, number>;

function add(effects: Effects, key: string, amount: number): void {
  if (amount > 0) effects[key] = (effects[key] ?? 0) + amount;
}

/**
 * The numbers an entity reports about what it lost ("lostToCrash", a store's "writesLost"),
 * and those of the entities it owns (a `Disk` whose power its host crash takes), under
 * "<their name>.<key>": their records of the loss are part of this fault, so its row says it.
 */
function lostCounts(entity: Entity<unknown, unknown>): Map<string, number> {
  const counts = new Map<string, number>();
  const collect = (from: Entity<unknown, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(from.metrics())) {
      if (typeof value === "number" && /lost/i.test(key)) counts.set(prefix + key, value);
    }
  };
  collect(entity, "");
  // Owned parts are found by shape (`owner`), as the CLI's copy of the modules must.
  for (const other of entity.sim.entities) {
    if ((other as { readonly owner?: unknown }).owner === entity) collect(other, `${other.name}.`);
  }
  return counts;
}

/**
 * A node one or more faults crash: crashes it, counting what the crash ended (processes and
 * calls cancelled, listened to on the trace stream only for the crash itself, and whatever
 * the entity reports as lost), and on recovery the messages dropped while it was down.
 */
export class CrashedNode {
  private droppedBefore = 0;
  private down = false;
  /** The entity's crash this fault made: something else may recover it and crash it again. */
  private crashSerial = -1;

  constructor(
    readonly entity: Entity<unknown, unknown>,
    private readonly effects: Effects,
    /** How it crashes: "host" (silence) or "process" (callers reset). */
    readonly kind: CrashKind = "host",
  ) {}

  /** Crashes it if it is up; false if it was already down. */
  crash(): boolean {
    const entity = this.entity;
    if (!entity.isUp) return false;
    const lostBefore = lostCounts(entity);
    const name = entity.name;
    let processes = 0;
    let calls = 0;
    const count = (record: TraceRecord): void => {
      if (record.type === "process-ended") {
        if (record.entity === name && record.status === "cancelled") processes++;
      } else if (record.type === "call-settled") {
        if (record.entity === name && record.outcome === "cancelled") calls++;
      }
    };
    const resetBefore = entity.counters.callsReset;
    const stop = entity.sim.onTrace(count);
    try {
      entity.crash({ kind: this.kind });
    } finally {
      stop();
    }
    this.down = true;
    this.crashSerial = entity._crashSerial;
    this.droppedBefore = entity.counters.droppedWhileDown;
    const effects = this.effects;
    add(effects, "crashes", 1);
    add(effects, "processesCancelled", processes);
    add(effects, "callsCancelled", calls);
    add(effects, "callsReset", entity.counters.callsReset - resetBefore);
    for (const [key, after] of lostCounts(entity))
      add(effects, key, after - (lostBefore.get(key) ?? 0));
    return true;
  }

  /** Messages dropped since this fault crashed it, while it is still down (0 once recovered). */
  get droppedSoFar(): number {
    if (!this.down) return 0;
    const dropped = this.entity.counters.droppedWhileDown;
    return dropped >= this.droppedBefore ? dropped - this.droppedBefore : dropped;
  }

  /** Recovers it if this fault crashed it and it is still down. */
  recover(): void {
    if (!this.down) return;
    this.down = false;
    const entity = this.entity;
    // A statistics reset while down restarts the counter: count what it shows since then.
    const dropped = entity.counters.droppedWhileDown;
    add(
      this.effects,
      "messagesDropped",
      dropped >= this.droppedBefore ? dropped - this.droppedBefore : dropped,
    );
    if (!entity.isUp && entity._crashSerial === this.crashSerial) entity.recover();
  }
}

/** A crash fault's effects: what its nodes did, with the drops of those still down so far. */
export function crashEffects(
  effects: Readonly<Record<string, number>>,
  nodes: readonly CrashedNode[],
): Readonly<Record<string, number>> {
  const live = nodes.reduce((sum, node) => sum + node.droppedSoFar, 0);
  if (live === 0) return effects;
  return { ...effects, messagesDropped: (effects.messagesDropped ?? 0) + live };
}

/** `params.kind`: "host" (default) or "process"; the schedule's error names it otherwise. */
export function crashKindParam(fault: FaultSpec, index: number): CrashKind {
  const kind = fault.params?.kind;
  if (kind === undefined) return "host";
  if (kind !== "host" && kind !== "process") {
    throw faultFieldError(index, "params.kind", '"host" or "process"', kind);
  }
  return kind;
}

export const crash: FaultKind = {
  name: "crash",
  description:
    'each target crashes (params.kind: "host", the default, or "process") at `at` and recovers after `for` seconds (stays down without `for`)',
  check(fault, index, sim) {
    checkTargetsExist(fault, index, sim);
    checkParamNames(fault, index, ["kind"]);
    crashKindParam(fault, index);
  },
  activate(fault, context): ActiveFault {
    const effects: Effects = {};
    const how = crashKindParam(fault, context.index);
    const nodes = fault.targets.map((name) => new CrashedNode(context.entity(name), effects, how));
    const skipped = nodes.filter((node) => !node.crash()).map((node) => node.entity.name);
    return {
      detail: skipped.length === 0 ? "" : `already down: ${skipped.join(",")}`,
      heal: () => {
        for (const node of nodes) node.recover();
      },
      effects: () => crashEffects(effects, nodes),
    };
  },
};
