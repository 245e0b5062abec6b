/**
 * Goal: the request ledger keeps `forwarded = succeeded + failed + timedOut + lostToCrash +
 * inFlight` by construction: each outcome settles one forward in flight into its count, a crash
 * of its owner moves what is in flight to lostToCrash, a statistics reset restarts the counts
 * with what is in flight counted as forwarded again, and a settle with nothing in flight is a
 * bug that fails loudly, naming the owner and the time.
 * Method: a ledger registered on a bare entity, driven by hand; the owner's crash and
 * `sim.resetStats()` reach it through its lifecycle hook.
 */
import { describe, expect, it } from "vitest";
import type { ForwardOutcome } from "../../../src/components/shared/forwarder.js";
import { RequestLedger } from "../../../src/components/shared/requestLedger.js";
import { Entity } from "../../../src/core/entity.js";
import { Simulation } from "../../../src/core/simulation.js";
import { RemoteError, SimulationError, TimeoutError } from "../../../src/errors/errors.js";

class Owner extends Entity {
  readonly ledger = new RequestLedger(this);
}

const answer: ForwardOutcome<string> = { kind: "answer", answer: "ok", seconds: 0.1 };
const judged: ForwardOutcome<string> = { kind: "failedAnswer", answer: "slow", seconds: 2 };
const refused: ForwardOutcome<string> = {
  kind: "refused",
  reason: "busy",
  error: new RemoteError("busy", "target"),
  seconds: 0.1,
};
const timedOut: ForwardOutcome<string> = {
  kind: "timedOut",
  error: new TimeoutError(1),
  seconds: 1,
};

function setup() {
  const sim = new Simulation({ seed: 1 });
  const owner = new Owner(sim, "proxy");
  return { sim, owner, ledger: owner.ledger };
}

const holds = (l: RequestLedger) =>
  l.forwarded === l.succeeded + l.failed + l.timedOut + l.lostToCrash + l.inFlight;

describe("RequestLedger", () => {
  it("settles each outcome into its count", () => {
    const { ledger } = setup();
    for (let i = 0; i < 5; i++) ledger.open();
    expect(ledger.counts()).toMatchObject({ forwarded: 5, inFlight: 5 });
    for (const outcome of [answer, judged, refused, timedOut]) {
      ledger.record(outcome);
      expect(holds(ledger)).toBe(true);
    }
    expect(ledger.counts()).toEqual({
      forwarded: 5,
      succeeded: 1,
      failed: 2,
      timedOut: 1,
      lostToCrash: 0,
      inFlight: 1,
    });
  });

  it("a crash of its owner moves what is in flight to lostToCrash", () => {
    const { owner, ledger } = setup();
    ledger.open();
    ledger.open();
    ledger.record(answer);
    owner.crash();
    expect(ledger.counts()).toMatchObject({ forwarded: 2, succeeded: 1, lostToCrash: 1 });
    expect(ledger.inFlight).toBe(0);
    owner.recover();
    ledger.open();
    owner.crash();
    expect(ledger).toMatchObject({ forwarded: 3, lostToCrash: 2, inFlight: 0 });
    expect(holds(ledger)).toBe(true);
  });

  it("a statistics reset keeps what is in flight, counted as forwarded again", () => {
    const { sim, owner, ledger } = setup();
    for (let i = 0; i < 4; i++) ledger.open();
    ledger.record(answer);
    ledger.record(timedOut);
    owner.crash();
    owner.recover();
    ledger.open();
    ledger.open();
    sim.resetStats();
    expect(ledger.counts()).toEqual({
      forwarded: 2,
      succeeded: 0,
      failed: 0,
      timedOut: 0,
      lostToCrash: 0,
      inFlight: 2,
    });
    ledger.record(refused);
    expect(ledger).toMatchObject({ forwarded: 2, failed: 1, inFlight: 1 });
    expect(holds(ledger)).toBe(true);
  });

  it("a settle with nothing in flight is a bug: a SimulationError naming the owner and time", () => {
    const { sim, owner, ledger } = setup();
    ledger.open();
    sim.at(1.5, () => owner.crash());
    sim.run();
    expect(() => ledger.record(answer)).toThrow(SimulationError);
    expect(() => ledger.record(answer)).toThrow(
      'entity "proxy" at t=1.5s: request ledger: a "answer" outcome settled, but no forward is in flight',
    );
    expect(holds(ledger)).toBe(true);
  });
});
