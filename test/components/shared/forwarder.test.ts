/**
 * Goal: `Forwarder.forward` turns every way a forward can end into one typed outcome (an answer
 * with its seconds, an answer judged a failure, a refusal with its reason, a timeout with its
 * limit) and counts it in its ledger; a crash ends a forward unseen, counted lost; a late answer
 * after a timeout changes nothing; anything but a modelled failure propagates; `relay` answers
 * the caller as the target would have; `await` and `awaitUntil` do the same for futures the
 * component sent itself.
 * Method: a proxy entity built on a Forwarder and a RequestLedger in front of the scripted
 * target of the resilience tests, exact durations, outcomes recorded as the proxy saw them.
 */
import { describe, expect, it } from "vitest";
import { Forwarder, type ForwardOutcome } from "../../../src/components/shared/forwarder.js";
import { RequestLedger } from "../../../src/components/shared/requestLedger.js";
import { TimeoutParam } from "../../../src/components/shared/timeoutParam.js";
import { Entity } from "../../../src/core/entity.js";
import { any } from "../../../src/core/future.js";
import type { Message } from "../../../src/core/message.js";
import { Simulation } from "../../../src/core/simulation.js";
import { RemoteError, TimeoutError } from "../../../src/errors/errors.js";
import { type Job, RecordingCaller, ScriptedTarget } from "../../support/targets.js";

class ForwardingProxy extends Entity<Job, string> {
  readonly ledger = new RequestLedger(this);
  readonly forwarder: Forwarder<Job, string>;
  readonly seen: ForwardOutcome<string>[] = [];

  constructor(
    sim: Simulation,
    readonly target: Entity<Job, string>,
    options: { timeout?: number; isFailure?: (answer: string, seconds: number) => boolean } = {},
  ) {
    super(sim, "proxy");
    this.forwarder = new Forwarder(this, {
      ledger: this.ledger,
      timeout: TimeoutParam.optional("Proxy", "timeout", options.timeout),
      isFailure: options.isFailure ?? null,
    });
  }

  override *handle(request: Message<Job>) {
    const outcome = yield* this.forwarder.forward(this.target, request);
    this.seen.push(outcome);
    this.forwarder.relay(request, outcome);
  }
}

function setup(options?: ConstructorParameters<typeof ForwardingProxy>[2]) {
  const sim = new Simulation({ seed: 1 });
  const target = new ScriptedTarget(sim, "target");
  const proxy = new ForwardingProxy(sim, target, options);
  const caller = new RecordingCaller(sim, "caller");
  return { sim, target, proxy, caller, outcomes: caller.log };
}

const identity = (l: RequestLedger) =>
  l.forwarded - (l.succeeded + l.failed + l.timedOut + l.lostToCrash + l.inFlight);

describe("Forwarder.forward", () => {
  it("returns an answer, a refusal or a timeout, typed, and counts each", () => {
    const { sim, proxy, caller, outcomes } = setup({ timeout: 0.5 });
    caller.callAt(0, proxy, { id: "ok", takes: 0.2 });
    caller.callAt(0, proxy, { id: "no", takes: 0.1, rejects: "busy" });
    caller.callAt(0, proxy, { id: "slow", takes: 2 });
    sim.run();
    expect(proxy.seen.map((o) => o.kind)).toEqual(["refused", "answer", "timedOut"]);
    const [refused, answer, timedOut] = proxy.seen;
    expect(refused).toMatchObject({ kind: "refused", reason: "busy", seconds: 0.1 });
    expect(answer).toEqual({ kind: "answer", answer: "target:ok", seconds: 0.2 });
    expect(timedOut).toMatchObject({ kind: "timedOut", seconds: 0.5, error: { seconds: 0.5 } });
    expect(proxy.ledger.counts()).toEqual({
      forwarded: 3,
      succeeded: 1,
      failed: 1,
      timedOut: 1,
      lostToCrash: 0,
      inFlight: 0,
    });
    // relay answers the caller as the target would, and a timeout as "timed out".
    expect(outcomes).toEqual([
      "no:refused(busy)@0.1",
      "ok:target:ok@0.2",
      "slow:refused(timed out)@0.5",
    ]);
  });

  it("judges answers with isFailure, with the seconds they took, and still relays them", () => {
    const { sim, proxy, caller, outcomes } = setup({ isFailure: (_, seconds) => seconds > 0.3 });
    caller.callAt(0, proxy, { id: "fast", takes: 0.1 });
    caller.callAt(0, proxy, { id: "slow", takes: 0.4 });
    sim.run();
    expect(proxy.seen).toEqual([
      { kind: "answer", answer: "target:fast", seconds: 0.1 },
      { kind: "failedAnswer", answer: "target:slow", seconds: 0.4 },
    ]);
    expect(proxy.ledger).toMatchObject({ succeeded: 1, failed: 1 });
    expect(outcomes).toEqual(["fast:target:fast@0.1", "slow:target:slow@0.4"]);
  });

  it("a late answer after the timeout is dropped: the outcome stays a timeout", () => {
    const { sim, proxy, caller } = setup({ timeout: 0.5 });
    caller.callAt(0, proxy, { id: "late", takes: 1 });
    expect(sim.run().time).toBe(1);
    expect(proxy.seen.map((o) => o.kind)).toEqual(["timedOut"]);
    expect(proxy.ledger).toMatchObject({ forwarded: 1, timedOut: 1, succeeded: 0, inFlight: 0 });
    expect(proxy.counters.lateReplies).toBe(1);
    expect(proxy.pendingCallCount).toBe(0);
  });

  it("a crash ends the forwards in flight unseen: the ledger counts them lost", () => {
    const { sim, proxy, caller } = setup({ timeout: 5 });
    caller.callAt(0, proxy, { id: "done", takes: 0.1 });
    caller.callAt(0, proxy, { id: "a", takes: 1 }, { timeout: 2 });
    caller.callAt(0, proxy, { id: "b", takes: 1 }, { timeout: 2 });
    sim.at(0.5, () => {
      expect(proxy.ledger).toMatchObject({ forwarded: 3, succeeded: 1, inFlight: 2 });
      proxy.crash();
      expect(proxy.ledger).toMatchObject({ inFlight: 0, lostToCrash: 2 });
      expect(identity(proxy.ledger)).toBe(0);
    });
    sim.at(0.6, () => proxy.recover());
    caller.callAt(0.7, proxy, { id: "again", takes: 0.1 });
    expect(sim.run().time).toBe(2); // the proxy's 5 s timers went with the crash
    expect(proxy.seen.map((o) => o.kind)).toEqual(["answer", "answer"]);
    expect(proxy.ledger.counts()).toEqual({
      forwarded: 4,
      succeeded: 2,
      failed: 0,
      timedOut: 0,
      lostToCrash: 2,
      inFlight: 0,
    });
    expect(proxy.pendingCallCount).toBe(0);
  });

  it("a statistics reset during forwards counts those in flight as forwarded again", () => {
    const { sim, proxy, caller } = setup({ timeout: 0.5 });
    caller.callAt(0, proxy, { id: "early", takes: 0.1 });
    caller.callAt(0, proxy, { id: "across", takes: 0.3 });
    caller.callAt(0, proxy, { id: "hung", takes: 2 });
    sim.at(0.2, () => {
      sim.resetStats();
      expect(proxy.ledger.counts()).toEqual({
        forwarded: 2,
        succeeded: 0,
        failed: 0,
        timedOut: 0,
        lostToCrash: 0,
        inFlight: 2,
      });
    });
    sim.run();
    expect(proxy.ledger.counts()).toEqual({
      forwarded: 2,
      succeeded: 1,
      failed: 0,
      timedOut: 1,
      lostToCrash: 0,
      inFlight: 0,
    });
  });

  it("an error that is not a modelled failure propagates and fails the run", () => {
    const { sim, proxy, caller } = setup({
      isFailure: () => {
        throw new Error("bug in isFailure");
      },
    });
    caller.callAt(0, proxy, { id: "a", takes: 0.1 });
    expect(() => sim.run()).toThrow(/bug in isFailure/);
    expect(proxy.seen).toEqual([]);
  });
});

describe("Forwarder.await and awaitUntil", () => {
  it("await: the outcome of a future; a rejection by `any` is its last error's", () => {
    const sim = new Simulation({ seed: 1 });
    const owner = new Entity<Job, string>(sim, "owner");
    const forwarder = new Forwarder(owner);
    const seen: ForwardOutcome<string>[] = [];
    owner.start(function* () {
      const answered = owner.future<string>();
      owner.after(0.25, () => answered.resolve("yes"));
      seen.push(yield* forwarder.await(answered, owner.nowNs));
      const all = owner.future<string>();
      owner.after(0.25, () =>
        all.reject(new AggregateError([new TimeoutError(1), new RemoteError("last", "x")])),
      );
      seen.push(yield* forwarder.await(all, owner.nowNs));
    });
    sim.run();
    expect(seen).toEqual([
      { kind: "answer", answer: "yes", seconds: 0.25 },
      expect.objectContaining({ kind: "refused", reason: "last", seconds: 0.25 }),
    ]);
  });

  it("await: a rejection that is not a modelled failure is rethrown", () => {
    const sim = new Simulation({ seed: 1 });
    const owner = new Entity<Job, string>(sim, "owner");
    const forwarder = new Forwarder(owner);
    owner.start(function* () {
      const broken = owner.future<string>();
      owner.after(0.1, () => broken.reject(new TypeError("not a modelled failure")));
      yield* forwarder.await(broken, owner.nowNs);
    });
    expect(() => sim.run()).toThrow(/not a modelled failure/);
  });

  it("awaitUntil: null when the timer comes first (the combinator's inputs keep running), else the outcome", () => {
    const sim = new Simulation({ seed: 1 });
    const owner = new Entity<Job, string>(sim, "owner");
    const forwarder = new Forwarder(owner);
    const seen: (string | null)[] = [];
    owner.start(function* () {
      const answer = owner.future<string>();
      owner.after(1, () => answer.resolve("late"));
      const round = any([answer]);
      const first = yield* forwarder.awaitUntil(round, owner.sleep(0.5), owner.nowNs);
      seen.push(round.state);
      seen.push(first === null ? `null@${owner.now}` : first.kind);
      const timer = owner.sleep(2);
      const second = yield* forwarder.awaitUntil(answer, timer, 0);
      seen.push(second?.kind === "answer" ? `${second.answer}@${owner.now}` : "?");
      seen.push(timer.state);
    });
    sim.run();
    expect(seen).toEqual(["cancelled", "null@0.5", "late@1", "cancelled"]);
  });
});
