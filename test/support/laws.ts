/**
 * The per-component law suite: one call in a component's spec checks what every component owes,
 * the way fast-check shares laws for arbitraries. A spec describes how to build the component
 * and a small model with load around it; `componentLaws` turns that into tests of:
 *
 * - knobs: the constructor reads exactly the catalog entry's `operational_knobs` (and the spec's
 *   full option set sets each of them);
 * - construction: every invalid option set fails with a ConfigError and leaves nothing
 *   registered (the same name then builds, and the simulation runs);
 * - determinism: two runs of one seed agree on the trace hash and on every entity's counters
 *   and metrics;
 * - identities at every instant (sampled every 10 ms): a forwarder's ledger (`forwarded =
 *   succeeded + failed + timedOut + lostToCrash + inFlight`), a client's (`requests = succeeded
 *   + gaveUp + lostToCrash + abandoned + inFlight`), a server's (`requests = completed +
 *   rejected + expired + lostToCrash + active + queued`, `expired` where reported), a
 *   forwarding station's (`forwarded = succeeded + failed + lostInFlight + inFlight`), and the
 *   spec's own; numbers non-negative and
 *   finite (NaN only for a mean or percentile with no data yet);
 * - crash and recover, of both kinds (a host crash: silence; a process crash: its callers'
 *   open calls reset at once): right after a crash it holds nothing (no live process, call,
 *   in-flight or queued work); after recovering and the load ending, the run drains with
 *   nothing left behind;
 * - pause (from `crashAt` to `recoverAt`): identities hold throughout, nothing of it runs while
 *   paused, and the run drains with nothing left behind;
 * - reset: `sim.resetStats()` mid-run moves the statistics' epoch and keeps every identity.
 *
 * Imports go through the package's main entry so a component moving folders does not touch it.
 */
import { describe, expect, it } from "vitest";
import {
  type CatalogEntry,
  ConfigError,
  type Entity,
  type RunSummary,
  Simulation,
} from "../../src/index.js";

/** The name the spec must give the component under test in `scenario`. */
export const SUBJECT = "subject";

// biome-ignore lint/suspicious/noExplicitAny: a law applies to components of any payload types
type AnyEntity = Entity<any, any>;
type Options = Record<string, unknown>;

export interface ComponentLawSpec<C extends AnyEntity> {
  /** The component's class (its static catalog entry is checked). */
  readonly type: { readonly catalog: CatalogEntry; readonly name: string };
  /** Creates what the component needs in `sim` (targets, pools) and returns every option set. */
  options(sim: Simulation): Options;
  /** Constructs the component: `new X(sim, name, options)`. */
  construct(sim: Simulation, name: string, options: Options): C;
  /** Option overrides (merged over `options(sim)`) that construction must refuse. */
  readonly invalid: readonly Options[];
  /**
   * Builds a model with load around the component, which it names `SUBJECT`; the load must end
   * by itself (a Source with `stopAfter`, timed calls), so a run without `until` drains.
   */
  scenario(sim: Simulation): C;
  /** While the load runs: when to crash the component, and when to recover it. */
  readonly crashAt: number;
  readonly recoverAt: number;
  /** When to reset statistics in the reset law. Default: halfway to `crashAt`. */
  readonly resetAt?: number;
  /** Extra identities of this component: [label, left side, right side]. */
  identities?(subject: C): ReadonlyArray<readonly [string, number, number]>;
  /** Names the suite when a component runs it more than once (another configuration). */
  readonly title?: string;
  /** Metrics allowed to be NaN before data (beyond names starting mean, min, max or p<digit>). */
  readonly mayBeNaN?: readonly string[];
}

const MAX_EVENTS = 5_000_000;
const SAMPLE_EVERY = 0.01;
const NAN_NAME = /^(mean|min|max|p\d)/;

/** The identities every component with these metrics must satisfy. */
export function genericIdentities(m: Readonly<Record<string, number | string>>) {
  const n = (key: string) => m[key] as number;
  const has = (...keys: string[]) => keys.every((key) => typeof m[key] === "number");
  const out: [string, number, number][] = [];
  if (has("requests", "succeeded", "gaveUp", "lostToCrash", "abandoned", "inFlight")) {
    // A client counts requests and attempts apart (docs/components/statistics.md): its
    // `succeeded`, `lostToCrash` and `inFlight` are requests, its `forwarded`, `failed` and
    // `timedOut` attempts, so the forwarder identity below does not apply to it.
    out.push([
      "requests = succeeded + gaveUp + lostToCrash + abandoned + inFlight",
      n("requests"),
      n("succeeded") + n("gaveUp") + n("lostToCrash") + n("abandoned") + n("inFlight"),
    ]);
  } else if (has("forwarded", "succeeded", "failed", "timedOut", "lostToCrash", "inFlight")) {
    out.push([
      "forwarded = succeeded + failed + timedOut + lostToCrash + inFlight",
      n("forwarded"),
      n("succeeded") + n("failed") + n("timedOut") + n("lostToCrash") + n("inFlight"),
    ]);
  }
  if (has("forwarded", "succeeded", "failed", "lostInFlight", "inFlight")) {
    // A station that also forwards (a `Server` with `next`): its `lostToCrash` is the station's
    // (queued or in service), so the forwards lost in a crash have a name of their own.
    out.push([
      "forwarded = succeeded + failed + lostInFlight + inFlight",
      n("forwarded"),
      n("succeeded") + n("failed") + n("lostInFlight") + n("inFlight"),
    ]);
  }
  if (has("requests", "completed", "rejected", "lostToCrash", "active", "queued")) {
    // `expired` is reported only by a station that drops expired work (`dropExpired`).
    const expired = has("expired");
    out.push([
      `requests = completed + rejected + ${expired ? "expired + " : ""}lostToCrash + active + queued`,
      n("requests"),
      n("completed") +
        n("rejected") +
        (expired ? n("expired") : 0) +
        n("lostToCrash") +
        n("active") +
        n("queued"),
    ]);
  }
  return out;
}

function checkNow<C extends AnyEntity>(spec: ComponentLawSpec<C>, subject: C): void {
  const metrics = subject.metrics();
  const at = `${subject.name} at ${subject.now}s`;
  for (const [key, value] of Object.entries(metrics)) {
    if (typeof value !== "number") continue;
    if (Number.isNaN(value)) {
      const allowed = NAN_NAME.test(key) || (spec.mayBeNaN ?? []).includes(key);
      expect(allowed, `${at}: ${key} is NaN`).toBe(true);
      continue;
    }
    expect(value, `${at}: ${key}`).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(value), `${at}: ${key} is finite`).toBe(true);
  }
  for (const [label, left, right] of [
    ...genericIdentities(metrics),
    ...(spec.identities?.(subject) ?? []),
  ]) {
    expect(left, `${at}: ${label}`).toBe(right);
  }
}

/** Checks the subject every 10 ms of simulated time (daemon: sampling keeps no run alive). */
function sampleThroughout<C extends AnyEntity>(
  sim: Simulation,
  spec: ComponentLawSpec<C>,
  subject: C,
): void {
  const tick = () => {
    checkNow(spec, subject);
    sim.after(SAMPLE_EVERY, tick, undefined, { daemon: true });
  };
  sim.after(0, tick, undefined, { daemon: true });
}

function drain(sim: Simulation): RunSummary {
  const summary = sim.run({ maxEvents: MAX_EVENTS });
  expect(summary.reason, "the load ends and the run drains").toBe("drained");
  return summary;
}

/** Every entity's counters and metrics, for comparing two runs. */
function observed(summary: RunSummary) {
  return summary.entities.map((e) => ({ name: e.name, counters: e.counters, metrics: e.metrics }));
}

/** An invalid override, for the failure message (entities and functions by a short name). */
function describeOverride(override: Options): string {
  const parts = Object.entries(override).map(([key, value]) => {
    if (typeof value === "function") return `${key}: function`;
    if (value !== null && typeof value === "object" && "sim" in value && "name" in value) {
      return `${key}: entity "${String((value as { name: unknown }).name)}"`;
    }
    try {
      return `${key}: ${JSON.stringify(value)}`;
    } catch {
      return `${key}: ${String(value)}`;
    }
  });
  return `{ ${parts.join(", ")} }`;
}

/** Registers the law tests of one component. */
export function componentLaws<C extends AnyEntity>(spec: ComponentLawSpec<C>): void {
  describe(spec.title ?? `${spec.type.catalog.name} laws`, () => {
    it("reads exactly its catalog knobs from its options", () => {
      // The options are wrapped in a Proxy that records which ones the constructor reads.
      const sim = new Simulation({ seed: 1 });
      const options = spec.options(sim);
      expect(Object.keys(options).sort(), "options(sim) sets every knob").toEqual(
        [...spec.type.catalog.operational_knobs].sort(),
      );
      const read = new Set<string>();
      const recording = new Proxy(options, {
        get(object, key, receiver) {
          if (typeof key === "string") read.add(key);
          return Reflect.get(object, key, receiver);
        },
      });
      spec.construct(sim, SUBJECT, recording);
      expect([...read].sort()).toEqual([...spec.type.catalog.operational_knobs].sort());
    });

    it("refuses invalid options at construction and leaves nothing registered", () => {
      expect(spec.invalid.length, "at least one invalid option set").toBeGreaterThan(0);
      const sim = new Simulation({ seed: 1 });
      const options = spec.options(sim);
      for (const override of spec.invalid) {
        const before = sim.entities.length;
        expect(
          () => spec.construct(sim, SUBJECT, { ...options, ...override }),
          describeOverride(override),
        ).toThrow(ConfigError);
        expect(sim.entities.length, "no entity left registered").toBe(before);
        expect(sim.entity(SUBJECT), "the name is still free").toBeUndefined();
      }
      spec.construct(sim, SUBJECT, options);
      expect(() => sim.run({ until: 1 })).not.toThrow();
    });

    it("runs the same way twice from one seed (trace, counters and metrics)", () => {
      const run = () => {
        const sim = new Simulation({ seed: 7 });
        spec.scenario(sim);
        return drain(sim);
      };
      const first = run();
      const second = run();
      expect(second.traceHash).toBe(first.traceHash);
      expect(second.eventsProcessed).toBe(first.eventsProcessed);
      expect(observed(second)).toEqual(observed(first));
    });

    for (const kind of ["host", "process"] as const) {
      it(`keeps its identities and sane numbers at every instant, through a ${kind} crash`, () => {
        const sim = new Simulation({ seed: 3 });
        const subject = spec.scenario(sim);
        sampleThroughout(sim, spec, subject);
        sim.at(spec.crashAt, () => {
          subject.crash({ kind });
          // The crash cancelled everything the component was doing.
          expect(subject.liveProcessCount, "live processes after a crash").toBe(0);
          expect(subject.pendingCallCount, "outstanding calls after a crash").toBe(0);
          const m = subject.metrics();
          for (const key of ["inFlight", "active", "queued"]) {
            if (typeof m[key] === "number") expect(m[key], `${key} after a crash`).toBe(0);
          }
          checkNow(spec, subject);
        });
        sim.at(spec.recoverAt, () => subject.recover());
        const summary = drain(sim);
        checkNow(spec, subject);
        expect(summary.pendingEvents).toBe(0);
        expect(subject.liveProcessCount, "live processes at the end").toBe(0);
        expect(subject.pendingCallCount, "outstanding calls at the end").toBe(0);
      });
    }

    it("keeps its identities and sane numbers at every instant, through a pause", () => {
      const sim = new Simulation({ seed: 3 });
      const subject = spec.scenario(sim);
      sampleThroughout(sim, spec, subject);
      const events: number[] = [];
      sim.at(spec.crashAt, () => {
        subject.pause(spec.recoverAt - spec.crashAt);
        expect(subject.isPaused).toBe(true);
        // Nothing of the subject may run while it is paused: no message reaches its handler
        // and no timer of its fires (other entities may still call its methods).
        sim.onTrace((record) => {
          if (!subject.isPaused) return;
          const ran =
            (record.type === "message-delivered" && record.target === SUBJECT) ||
            (record.type === "timer-fired" && record.entity === SUBJECT);
          if (ran) events.push(sim.nowNs);
        });
      });
      const summary = drain(sim);
      checkNow(spec, subject);
      expect(events, "events of the subject run while it was paused").toEqual([]);
      expect(subject.isPaused).toBe(false);
      expect(summary.pendingEvents).toBe(0);
      expect(subject.liveProcessCount, "live processes at the end").toBe(0);
      expect(subject.pendingCallCount, "outstanding calls at the end").toBe(0);
    });

    it("restarts its statistics on sim.resetStats() and keeps its identities", () => {
      const sim = new Simulation({ seed: 5 });
      const subject = spec.scenario(sim);
      const resetAt = spec.resetAt ?? spec.crashAt / 2;
      sampleThroughout(sim, spec, subject);
      sim.at(resetAt, () => {
        sim.resetStats();
        expect(subject.statsSinceNs).toBe(sim.nowNs);
        checkNow(spec, subject);
      });
      drain(sim);
      checkNow(spec, subject);
    });
  });
}
