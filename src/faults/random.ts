/**
 * Random fault schedules drawn from a seed: each target alternates between up periods (time
 * between failures) and faults (time to repair), drawn from its own stream, so a target added
 * to a class does not move another target's draws unless a cap on concurrent faults couples
 * them. The result is the same plain data a hand-written schedule is: print it, store it,
 * replay it exactly.
 */
import { ConfigError } from "../errors/errors.js";
import type { Distribution } from "../random/distributions/distribution.js";
import { RandomStream } from "../random/randomStream.js";
import { PARTITION_SHAPES, type PartitionShape } from "./partition.js";
import type { FaultScheduleSpec, FaultSpec, JsonValue } from "./spec.js";

/** A duration: a number is the mean of an exponential, or any distribution. */
export type RandomDuration = number | Distribution;

/** One of the kinds a class's failures may be (`RandomFaultClass.kinds`). */
export interface RandomFaultKind {
  /** The fault kind: "crash", "pause", "slow", "disk-full", "clock-step", ... */
  readonly kind: string;
  /** Its parameters (`{ kind: "process" }` for a process crash, `{ factor: 3 }` for a slowdown). */
  readonly params?: { readonly [key: string]: JsonValue };
  /** How often it is drawn relative to the class's other kinds (> 0; default 1). */
  readonly weight?: number;
}

/** A class of targets that fail the same way. */
export interface RandomFaultClass {
  /** Names the class's streams (default "class<i>"): renaming it draws another schedule. */
  readonly name?: string;
  /** The entities that fail, one at a time each. */
  readonly targets: readonly string[];
  /**
   * The fault kind each failure is (default "crash"; with `crashLoop`, "crash-loop"; with
   * `partition`, "partition"). A network fault (`loss`, `latency`, ...) names the Network as the
   * class's one target: a spell of it, `params` saying what.
   */
  readonly kind?: string;
  /** Up time before each failure, per target (mean time between failures). */
  readonly timeBetweenFailures: RandomDuration;
  /** How long each failure lasts (mean time to repair). */
  readonly timeToRepair: RandomDuration;
  /**
   * Most targets of this class in a fault at once (default: all). A failure drawn while that
   * many are down does not happen; the target draws its next up time from then.
   */
  readonly maxConcurrent?: number;
  /** Each failure is a crash loop: down `downSeconds`, up `upSeconds`, for its whole repair time. */
  readonly crashLoop?: { readonly downSeconds: number; readonly upSeconds: number };
  /**
   * Each failure is a partition of `nodes` by the class's one target (a Network), its shape
   * drawn from `shapes` (default: every shape the node count allows) and the nodes' order
   * shuffled, both from the target's stream: Jepsen's random partitions, written out as plain
   * `partition` faults (`shape`, `nodes` in the drawn order) that replay exactly.
   */
  readonly partition?: {
    readonly nodes: readonly string[];
    readonly shapes?: readonly PartitionShape[];
  };
  /** Parameters given to every fault of the class. */
  readonly params?: { readonly [key: string]: JsonValue };
  /**
   * Failures of several kinds: each failure is one of these, drawn by weight from its target's
   * stream (a node that sometimes crashes, sometimes pauses, sometimes runs slow). Instead of
   * `kind`, `params` and `crashLoop`.
   */
  readonly kinds?: readonly RandomFaultKind[];
}

export interface RandomFaultOptions {
  /** The root seed (usually the simulation's). Same seed, same schedule. */
  readonly seed: number;
  /** No fault starts after this (seconds). */
  readonly horizon: number;
  /** No fault starts before this (seconds; default 0), a warm-up free of faults. */
  readonly start?: number;
  readonly classes: readonly RandomFaultClass[];
}

const COMPONENT = "randomFaultSchedule";

function checkDuration(value: unknown, parameter: string): void {
  if (typeof value === "number") {
    if (Number.isFinite(value) && value > 0) return;
  } else if (
    typeof value === "object" &&
    value !== null &&
    (value as Distribution).kind === "distribution"
  ) {
    const lower = (value as Distribution).lowerBound;
    // A mean of 0 (constant(0)) would draw failures at one instant forever.
    if ((lower === undefined || lower >= 0) && ((value as Distribution).mean() ?? 1) > 0) return;
  }
  throw new ConfigError(
    COMPONENT,
    parameter,
    "a mean in seconds > 0, or a distribution of durations >= 0",
    value,
  );
}

/** Times to the microsecond: a printed schedule reads well and replays exactly. */
function round(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}

function draw(duration: RandomDuration, stream: RandomStream): number {
  return typeof duration === "number" ? stream.exponential(duration) : duration.sample(stream);
}

function checkOptions(options: RandomFaultOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new ConfigError(COMPONENT, "options", "an object { seed, horizon, classes }", options);
  }
  const { seed, horizon, start = 0, classes } = options;
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new ConfigError(COMPONENT, "seed", "an integer in [0, 2^53)", seed);
  }
  if (typeof start !== "number" || !Number.isFinite(start) || start < 0) {
    throw new ConfigError(COMPONENT, "start", "a finite number of seconds >= 0", start);
  }
  if (typeof horizon !== "number" || !Number.isFinite(horizon) || horizon < start) {
    throw new ConfigError(
      COMPONENT,
      "horizon",
      `a finite number of seconds >= start (${start})`,
      horizon,
    );
  }
  if (!Array.isArray(classes)) throw new ConfigError(COMPONENT, "classes", "an array", classes);
  const names = new Set<string>();
  classes.forEach((cls: RandomFaultClass, i) => {
    const at = `classes[${i}]`;
    const name = cls.name ?? `class${i}`;
    if (typeof name !== "string" || name === "" || names.has(name)) {
      throw new ConfigError(
        COMPONENT,
        `${at}.name`,
        "a non-empty name no other class has",
        cls.name,
      );
    }
    names.add(name);
    const targets = cls.targets;
    if (
      !Array.isArray(targets) ||
      targets.length === 0 ||
      !targets.every((t) => typeof t === "string" && t !== "") ||
      new Set(targets).size !== targets.length
    ) {
      throw new ConfigError(
        COMPONENT,
        `${at}.targets`,
        "a non-empty array of distinct entity names",
        targets,
      );
    }
    checkDuration(cls.timeBetweenFailures, `${at}.timeBetweenFailures`);
    checkDuration(cls.timeToRepair, `${at}.timeToRepair`);
    const max = cls.maxConcurrent;
    if (max !== undefined && (!Number.isInteger(max) || max < 1)) {
      throw new ConfigError(COMPONENT, `${at}.maxConcurrent`, "an integer >= 1", max);
    }
    const partition = cls.partition;
    if (partition !== undefined) {
      checkPartitionClass(partition, at, targets.length, cls.kind, cls.crashLoop !== undefined);
    }
    const kinds = cls.kinds;
    if (kinds !== undefined) {
      if (!Array.isArray(kinds) || kinds.length === 0) {
        throw new ConfigError(
          COMPONENT,
          `${at}.kinds`,
          "a non-empty array of { kind, params?, weight? }",
          kinds,
        );
      }
      if (cls.kind !== undefined || cls.params !== undefined || cls.crashLoop !== undefined) {
        throw new ConfigError(
          COMPONENT,
          `${at}.kinds`,
          "absent when the class gives kind, params or crashLoop (one or the other)",
          kinds,
        );
      }
      kinds.forEach((entry: RandomFaultKind, k) => {
        if (
          typeof entry !== "object" ||
          entry === null ||
          typeof entry.kind !== "string" ||
          entry.kind === ""
        ) {
          throw new ConfigError(
            COMPONENT,
            `${at}.kinds[${k}]`,
            "an object { kind, params?, weight? }",
            entry,
          );
        }
        const weight = entry.weight;
        if (
          weight !== undefined &&
          (typeof weight !== "number" || !Number.isFinite(weight) || weight <= 0)
        ) {
          throw new ConfigError(
            COMPONENT,
            `${at}.kinds[${k}].weight`,
            "a finite number > 0",
            weight,
          );
        }
      });
    }
    const loop = cls.crashLoop;
    if (loop !== undefined) {
      for (const key of ["downSeconds", "upSeconds"] as const) {
        const value = loop?.[key];
        if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
          throw new ConfigError(
            COMPONENT,
            `${at}.crashLoop.${key}`,
            "a number of seconds > 0",
            value,
          );
        }
      }
    }
  });
}

function checkPartitionClass(
  partition: NonNullable<RandomFaultClass["partition"]>,
  at: string,
  targetCount: number,
  kind: string | undefined,
  crashLoop: boolean,
): void {
  if (kind !== undefined && kind !== "partition") {
    throw new ConfigError(COMPONENT, `${at}.kind`, 'absent or "partition" with partition', kind);
  }
  if (crashLoop) {
    throw new ConfigError(COMPONENT, `${at}.crashLoop`, "absent with partition", "given");
  }
  if (targetCount !== 1) {
    throw new ConfigError(
      COMPONENT,
      `${at}.targets`,
      "one name, the Network, with partition",
      `${targetCount} names`,
    );
  }
  const nodes = partition?.nodes;
  if (
    !Array.isArray(nodes) ||
    nodes.length === 0 ||
    !nodes.every((n) => typeof n === "string" && n !== "") ||
    new Set(nodes).size !== nodes.length
  ) {
    throw new ConfigError(
      COMPONENT,
      `${at}.partition.nodes`,
      "a non-empty array of distinct entity names",
      nodes,
    );
  }
  const shapes = partition.shapes;
  if (shapes === undefined) return;
  const fitting = fittingShapes(nodes.length);
  if (
    !Array.isArray(shapes) ||
    shapes.length === 0 ||
    !shapes.every((shape) => fitting.includes(shape))
  ) {
    throw new ConfigError(
      COMPONENT,
      `${at}.partition.shapes`,
      `a non-empty array of shapes ${nodes.length} nodes allow (${fitting.join(", ")})`,
      shapes,
    );
  }
}

/** The partition shapes `count` nodes allow, in the order `PARTITION_SHAPES` lists them. */
function fittingShapes(count: number): PartitionShape[] {
  return (Object.keys(PARTITION_SHAPES) as PartitionShape[]).filter(
    (shape) => PARTITION_SHAPES[shape] <= count,
  );
}

/** One random partition's params: a shape, and the nodes in a drawn order. */
function drawPartition(
  partition: NonNullable<RandomFaultClass["partition"]>,
  stream: RandomStream,
): { [key: string]: JsonValue } {
  const shapes = partition.shapes ?? fittingShapes(partition.nodes.length);
  const shape = shapes[stream.integer(shapes.length)]!;
  return { shape, nodes: stream.shuffle([...partition.nodes]) };
}

interface Timed {
  readonly fault: FaultSpec;
  /** Order among faults starting at the same instant: class, then target. */
  readonly classIndex: number;
  readonly targetIndex: number;
}

/** One class's faults: an alternating up/down process per target, capped by `maxConcurrent`. */
function classFaults(
  options: RandomFaultOptions,
  cls: RandomFaultClass,
  classIndex: number,
): Timed[] {
  const name = cls.name ?? `class${classIndex}`;
  const start = options.start ?? 0;
  const max = cls.maxConcurrent ?? cls.targets.length;
  const kind =
    cls.kind ??
    (cls.crashLoop !== undefined
      ? "crash-loop"
      : cls.partition !== undefined
        ? "partition"
        : "crash");
  const params =
    cls.crashLoop !== undefined
      ? {
          downSeconds: cls.crashLoop.downSeconds,
          upSeconds: cls.crashLoop.upSeconds,
          ...cls.params,
        }
      : cls.params;
  const streams = cls.targets.map(
    (target) => new RandomStream(options.seed, "faults", `${name}/${target}`),
  );
  // Per target: when it next fails (while up) or is repaired (while down).
  const next = streams.map((stream) => round(start + draw(cls.timeBetweenFailures, stream)));
  const down = cls.targets.map(() => false);
  let downCount = 0;
  const out: Timed[] = [];
  for (;;) {
    // The earliest event; repairs before failures at the same instant (a slot freed at t is
    // free for a failure at t), then by target order.
    let pick = -1;
    for (let i = 0; i < next.length; i++) {
      if (pick < 0 || next[i]! < next[pick]! || (next[i] === next[pick] && down[i] && !down[pick]))
        pick = i;
    }
    const time = next[pick]!;
    if (down[pick]) {
      down[pick] = false;
      downCount--;
      next[pick] = round(time + draw(cls.timeBetweenFailures, streams[pick]!));
      continue;
    }
    if (time > options.horizon) break;
    if (downCount >= max) {
      next[pick] = round(time + draw(cls.timeBetweenFailures, streams[pick]!));
      continue;
    }
    const repair = round(draw(cls.timeToRepair, streams[pick]!));
    // Only a class with several kinds draws one, after the repair time: a class without keeps
    // the draws (and the schedule) it had before kinds existed.
    const chosen = cls.kinds === undefined ? null : pickKind(cls.kinds, streams[pick]!);
    const faultKind = chosen?.kind ?? kind;
    const faultParams = chosen === null ? params : chosen.params;
    const drawn =
      cls.partition === undefined
        ? faultParams
        : { ...drawPartition(cls.partition, streams[pick]!), ...faultParams };
    const fault: FaultSpec =
      drawn === undefined
        ? { kind: faultKind, targets: [cls.targets[pick]!], at: time, for: repair }
        : { kind: faultKind, targets: [cls.targets[pick]!], at: time, for: repair, params: drawn };
    out.push({ fault, classIndex, targetIndex: pick });
    down[pick] = true;
    downCount++;
    next[pick] = round(time + repair);
  }
  return out;
}

/** One of `kinds`, by weight (one draw, even for a single kind: adding a kind moves no time). */
function pickKind(kinds: readonly RandomFaultKind[], stream: RandomStream): RandomFaultKind {
  let total = 0;
  for (const entry of kinds) total += entry.weight ?? 1;
  let point = stream.next() * total;
  for (const entry of kinds) {
    point -= entry.weight ?? 1;
    if (point < 0) return entry;
  }
  return kinds[kinds.length - 1]!;
}

/**
 * Draws a fault schedule from `seed`: for each class, each target fails after an up time and
 * stays in its fault for a repair time, no more than `maxConcurrent` of the class at once, with
 * no fault starting after `horizon`. Faults are ordered by start time.
 */
export function randomFaultSchedule(options: RandomFaultOptions): FaultScheduleSpec {
  checkOptions(options);
  const timed = options.classes.flatMap((cls, i) => classFaults(options, cls, i));
  timed.sort(
    (a, b) =>
      a.fault.at - b.fault.at || a.classIndex - b.classIndex || a.targetIndex - b.targetIndex,
  );
  return { faults: timed.map((t) => t.fault) };
}
