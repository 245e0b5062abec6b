/**
 * The invariants every composition from `./composition.ts` must satisfy once `sim.run()` has
 * drained (sources stopped, every crash healed). Each is derived from the component's documented
 * stats; the comments say why it holds. `checkInvariants` throws (via vitest's expect) at the
 * first one broken, naming the entity.
 *
 * "Hanging" is the one allowance: an entity that waits on a call without a timeout waits
 * forever for an answer that was lost (a crash, a lossy link), exactly as documented; such an
 * entity may end the run with calls and processes outstanding, and so may nothing else.
 *
 * A run with a `sim.resetStats()` in the middle checks every identity a component states
 * between its own counts (they restart with the work it holds counted again), but not those
 * against the engine's `counters.received` or another entity's counts: those restart from zero
 * at the reset, or not at all, and say nothing about the component.
 */
import { expect } from "vitest";
import { checkDeterminism, PooledClient, type RunSummary } from "../../src/index.js";
import { genericIdentities } from "../support/laws.js";
import {
  type BuiltModel,
  buildModel,
  ledgersOf,
  type ModelSpec,
  runToQuiet,
} from "./composition.js";

/** A guard against a model that never quiets down: the largest ones run ~100,000 events. */
const MAX_EVENTS = 2_000_000;

/** Tokens are counted in millionths by TokenBudget (see src/components/resilience/tokenBudget.ts). */
const UNIT = 1_000_000;

/** Most extra attempts a `{ ratio, burst }` budget allows over `requests` requests. */
function budgetCap(budget: { ratio: number; burst: number }, requests: number): number {
  const earn = Math.max(1, Math.round(budget.ratio * UNIT));
  return Math.floor((Math.round(budget.burst * UNIT) + requests * earn) / UNIT);
}

function nonNegativeCounters(where: string, stats: object): void {
  for (const [key, value] of Object.entries(stats)) {
    if (typeof value !== "number") continue;
    // NaN is allowed only where documented (a percentile of an empty histogram, a response
    // time not yet measured); every other number is a count, a mean or a fraction.
    if (Number.isNaN(value)) {
      expect(
        [
          "p50Latency",
          "p99Latency",
          "responseTime",
          "p50ConnectionWait",
          "p99ConnectionWait",
          "meanConnectionWait",
          "meanLatency",
          "maxLatency",
          "failureRate",
          "meanFinishedLatency",
          "p50FinishedLatency",
          "p99FinishedLatency",
          "p50AcquireWait",
          "p99AcquireWait",
        ],
        `${where}.${key} is NaN`,
      ).toContain(key);
      continue;
    }
    expect(value, `${where}.${key}`).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(value), `${where}.${key} finite`).toBe(true);
  }
}

/** A percentile estimate lies within the recorded range (the histogram clamps it). */
function percentileWithin(where: string, p: number, min: number, max: number): void {
  if (Number.isNaN(p)) return;
  expect(p, `${where} >= min`).toBeGreaterThanOrEqual(min);
  expect(p, `${where} <= max`).toBeLessThanOrEqual(max);
}

/** What the network's faults did to messages, over the whole run (fault counts survive resets). */
function networkFaultCounts(m: BuiltModel): { dropped: number; duplicated: number } {
  let dropped = 0;
  let duplicated = 0;
  for (const row of m.schedule?.rows() ?? []) {
    if (row.targets[0] !== m.network?.name) continue;
    dropped += row.effects.messagesDropped ?? 0;
    duplicated += row.effects.messagesDuplicated ?? 0;
  }
  return { dropped, duplicated };
}

export function checkInvariants(m: BuiltModel, summary: RunSummary): void {
  const hangs = (e: { name: string }) =>
    m.lossPossible && [...m.waitsWithoutTimeout].some((w) => w.name === e.name);
  /** No statistics reset in this run: counts can be compared across entities and the engine. */
  const whole = m.spec.resetAt === null;
  const networkFaults = networkFaultCounts(m);

  // Every component's own conservation identities (the law suite's), at the end of the run.
  for (const entity of m.sim.entities) {
    for (const [label, left, right] of genericIdentities(entity.metrics())) {
      expect(left, `${entity.name}: ${label}`).toBe(right);
    }
  }
  if (m.schedule !== null) checkFaultSchedule(m, networkFaults);

  // The run: drained, with no non-daemon event left behind, and no entity left crashed.
  expect(summary.reason).toBe("drained");
  expect(summary.pendingEvents).toBe(0);
  // The health checkers were stopped (crashed) once the load was done (see `runToQuiet`).
  for (const entity of m.sim.entities) {
    const stopped = m.checkers.some((c) => c.name === entity.name);
    expect(entity.status, entity.name).toBe(stopped ? "crashed" : "up");
  }

  // Nothing left behind: no outstanding call and no live process, except where an entity waits
  // without a timeout for an answer that may have been lost. The checker's rounds are daemon
  // processes (a round may have begun, its checks not yet started, when the run ends); its
  // checks always have a timeout (a non-daemon timer), so none is outstanding at the end.
  const checkerNames = new Set(m.checkers.map((c) => c.name));
  for (const entity of m.sim.entities) {
    if (checkerNames.has(entity.name)) {
      expect(entity.pendingCallCount, `${entity.name} pending calls`).toBe(0);
      continue;
    }
    if (hangs(entity)) continue;
    expect(entity.pendingCallCount, `${entity.name} pending calls`).toBe(0);
    expect(entity.liveProcessCount, `${entity.name} live processes`).toBe(0);
  }

  // Capacity limits, sampled every millisecond through the run (see `violations`).
  expect(m.violations).toEqual([]);

  // Every request ledger, whatever component holds it: forwarded = succeeded + failed +
  // timedOut + lostToCrash + inFlight exactly (also sampled every millisecond, see
  // `violations`); each forward in flight is a live process of its owner; none is in flight
  // at the end unless the owner hangs, and none was lost unless it crashed. Every proxy and
  // balancer forwards through exactly one, so these checks cover all of them.
  for (const entity of [
    ...m.hedges.map((h) => h.entity),
    ...m.breakers,
    ...m.bulkheads.map((b) => b.entity),
    ...m.wrappers,
    ...m.fallbacks.map((f) => f.entity),
    ...m.balancers,
  ]) {
    expect(ledgersOf(entity), `${entity.name} ledgers`).toHaveLength(1);
  }
  for (const { entity, ledger } of m.ledgers) {
    const where = `${entity.name} ledger`;
    nonNegativeCounters(where, ledger.counts());
    expect(ledger.forwarded, where).toBe(
      ledger.succeeded + ledger.failed + ledger.timedOut + ledger.lostToCrash + ledger.inFlight,
    );
    expect(ledger.inFlight, where).toBeLessThanOrEqual(entity.liveProcessCount);
    if (!hangs(entity)) expect(ledger.inFlight, where).toBe(0);
    if (!m.crashed.has(entity)) expect(ledger.lostToCrash, where).toBe(0);
  }

  if (m.client !== null) checkClient(m, m.client, hangs(m.client), networkFaults);
  if (m.pooled !== null) checkPool(m.pooled, hangs(m.pooled.client), whole);
  if (m.closedLoop !== null) checkClosedLoop(m.closedLoop, hangs(m.closedLoop.entity), whole);

  // Server: every request received is completed, rejected, lost to a crash, in service or
  // waiting; at the end none is in service or waiting (service timers keep the run alive).
  for (const server of m.servers) {
    const s = server.stats;
    const where = `server ${server.name}`;
    nonNegativeCounters(where, s);
    if (whole) {
      expect(server.counters.received, where).toBe(
        s.completed + s.rejected + s.lostToCrash + s.active + s.queued,
      );
      expect(s.requests, where).toBe(server.counters.received);
    }
    expect(s.active, where).toBe(0);
    expect(s.queued, where).toBe(0);
    expect(s.inUse, where).toBe(0);
    if (!m.crashed.has(server)) expect(s.lostToCrash, where).toBe(0);
    if (
      server.queueCapacity === Number.POSITIVE_INFINITY &&
      server.concurrencyModel?.weighted !== true
    ) {
      expect(s.rejected, where).toBe(0);
    }
    // Documented exception: a dynamic limit lowered below the number in service lets the
    // in-service ones finish, so capacity in use can exceed the limit for a while.
    if (!m.dynamicLimits.has(server)) expect(s.utilization, where).toBeLessThanOrEqual(1 + 1e-12);
    const dynamic = m.dynamicLimits.get(server);
    if (dynamic !== undefined) expect(s.limit).toBe(dynamic.limit);
  }

  for (const pool of m.pools) {
    const s = pool.stats;
    const where = `pool ${pool.name}`;
    nonNegativeCounters(where, s);
    if (whole) {
      expect(pool.counters.received, where).toBe(
        s.completed + s.rejected + s.lostToCrash + s.active + s.queued,
      );
      expect(s.requests, where).toBe(pool.counters.received);
    }
    expect(s.requests, where).toBe(s.completed + s.rejected + s.lostToCrash + s.active + s.queued);
    expect(s.active, where).toBe(0);
    expect(s.queued, where).toBe(0);
    expect(s.idle, where).toBe(pool.workers);
    expect(s.utilization, where).toBeLessThanOrEqual(1 + 1e-12);
    if (!m.crashed.has(pool)) expect(s.lostToCrash, where).toBe(0);
    if (pool.queueCapacity === Number.POSITIVE_INFINITY) expect(s.rejected, where).toBe(0);
  }

  for (const server of m.asyncServers) {
    const s = server.stats;
    const where = `async ${server.name}`;
    nonNegativeCounters(where, s);
    if (whole) {
      expect(server.counters.received, where).toBe(
        s.completed + s.rejected + s.failed + s.timedOut + s.lostToCrash + s.active,
      );
      expect(s.requests, where).toBe(server.counters.received);
    }
    expect(s.requests, where).toBe(
      s.completed + s.rejected + s.failed + s.timedOut + s.lostToCrash + s.active,
    );
    expect(s.active, where).toBe(server.liveProcessCount);
    if (!hangs(server)) expect(s.active, where).toBe(0);
    expect(s.peakConnections, where).toBeLessThanOrEqual(server.maxConnections);
    expect(s.meanInSystem, where).toBeLessThanOrEqual(s.peakConnections + 1e-9);
    expect(s.cpuUtilization, where).toBeLessThanOrEqual(1 + 1e-12);
    expect(s.cpuQueued, where).toBe(0);
    expect(s.p99LoopLag, where).toBeLessThanOrEqual(s.maxLoopLag);
    expect(s.meanLoopLag, where).toBeLessThanOrEqual(s.maxLoopLag * (1 + 1e-12));
    if (!m.crashed.has(server)) expect(s.lostToCrash, where).toBe(0);
  }

  // Hedge: every request is forwarded at once (its ledger counts requests, not copies: one
  // live process each). Copies: at most maxHedges per request, and with a budget at most
  // burst + ratio x requests in all.
  for (const { entity: hedge, spec: h } of m.hedges) {
    const s = hedge.stats;
    const where = `hedge ${hedge.name}`;
    nonNegativeCounters(where, s);
    if (whole) expect(hedge.counters.received, where).toBe(s.forwarded);
    expect(s.inFlight, where).toBe(hedge.liveProcessCount);
    expect(s.hedgesSent, where).toBeLessThanOrEqual(s.forwarded * h.maxHedges);
    if (h.budget === null) expect(s.hedgesDenied, where).toBe(0);
    expect(s.hedgesDenied, where).toBeLessThanOrEqual(s.forwarded);
    expect(s.hedgeWins, where).toBeLessThanOrEqual(s.succeeded);
    // A reset keeps the budget's tokens and the copies already out.
    if (whole && h.budget !== null) {
      expect(s.hedgesSent, where).toBeLessThanOrEqual(budgetCap(h.budget, s.forwarded));
    }
    if (whole) expect(s.hedgeWins, where).toBeLessThanOrEqual(s.hedgesSent);
  }

  // CircuitBreaker: every request is forwarded or refused at once (one live process per
  // forward in flight). The log has only legal transitions, in time order, each starting where
  // the previous one ended (a reset keeps the log).
  for (const breaker of m.breakers) {
    const s = breaker.stats;
    const where = `breaker ${breaker.name}`;
    nonNegativeCounters(where, { ...s, transitions: 0 });
    if (whole) expect(breaker.counters.received, where).toBe(s.requests);
    expect(s.requests, where).toBe(s.forwarded + s.rejected);
    expect(s.inFlight, where).toBe(breaker.liveProcessCount);
    const legal = new Set(["closed>open", "open>half-open", "half-open>closed", "half-open>open"]);
    let state = "closed";
    let time = 0;
    const crashTimes = m.crashed.get(breaker) ?? [];
    for (const t of s.transitions) {
      // A crash closes the circuit from any state, and logs it (reason "crash").
      const legalMove =
        legal.has(`${t.from}>${t.to}`) ||
        (t.to === "closed" && t.reason === "crash" && crashTimes.includes(t.time));
      expect(legalMove, `${where} transition ${JSON.stringify(t)}`).toBe(true);
      expect(t.time, `${where} transition time`).toBeGreaterThanOrEqual(time);
      expect(t.from, `${where} transition at ${t.time} starts where the last ended`).toBe(state);
      state = t.to;
      time = t.time;
    }
    // The state now is the last one logged (an open circuit whose time is up reads half-open).
    const now = breaker.currentState();
    if (state === "open") expect(["open", "half-open"], where).toContain(now);
    else expect(now, `${where} state vs log`).toBe(state);
  }

  // Bulkhead: never more than maxConcurrent forwarded at once nor maxWaiting waiting (sampled
  // every millisecond and at the end); every request is refused, waiting, lost while waiting,
  // or forwarded, exactly; a forward holds a slot; each request held is one live process.
  for (const { entity: bulkhead, spec: b } of m.bulkheads) {
    const s = bulkhead.stats;
    const where = `bulkhead ${bulkhead.name}`;
    nonNegativeCounters(where, s);
    expect(s.active, where).toBeLessThanOrEqual(b.maxConcurrent);
    expect(s.queued, where).toBeLessThanOrEqual(b.maxWaiting);
    if (whole) expect(bulkhead.counters.received, where).toBe(s.requests);
    expect(s.requests, where).toBe(s.rejected + s.queued + s.lostWaiting + s.forwarded);
    // Once the run has drained, nothing is between states: a slot taken is a forward.
    expect(s.active, where).toBe(s.inFlight);
    expect(s.inFlight + s.queued, where).toBe(bulkhead.liveProcessCount);
    if (!hangs(bulkhead)) expect(s.queued, where).toBe(0);
    if (!m.crashed.has(bulkhead)) expect(s.lostWaiting, where).toBe(0);
  }

  // TimeoutWrapper: every request is forwarded at once (one live process each). It always has
  // a deadline, so it never hangs.
  for (const wrapper of m.wrappers) {
    const s = wrapper.stats;
    const where = `wrapper ${wrapper.name}`;
    nonNegativeCounters(where, s);
    if (whole) expect(wrapper.counters.received, where).toBe(s.forwarded);
    expect(s.inFlight, where).toBe(wrapper.liveProcessCount);
    expect(s.inFlight, where).toBe(0);
  }

  // Fallback: every request is forwarded at once and counted once, however many calls it took
  // (one live process each); a function fallback never fails.
  for (const { entity: fallback, usesFunction } of m.fallbacks) {
    const s = fallback.stats;
    const where = `fallback ${fallback.name}`;
    nonNegativeCounters(where, s);
    if (whole) expect(fallback.counters.received, where).toBe(s.forwarded);
    expect(s.inFlight, where).toBe(fallback.liveProcessCount);
    expect(s.fallbacksUsed, where).toBeLessThanOrEqual(s.succeeded);
    if (usesFunction) expect(s.failed + s.timedOut, where).toBe(0);
  }

  // LoadBalancer: requests are forwarded or refused (no healthy backend; one live process per
  // forward in flight); per-backend counts add up to the totals, resets included.
  for (const lb of m.balancers) {
    const s = lb.stats;
    const where = `balancer ${lb.name}`;
    nonNegativeCounters(where, { ...s, backends: 0 });
    if (whole) expect(lb.counters.received, where).toBe(s.requests);
    expect(s.requests, where).toBe(s.forwarded + s.rejected);
    const sum = (f: (b: (typeof s.backends)[number]) => number) =>
      s.backends.reduce((total, b) => total + f(b), 0);
    expect(
      sum((b) => b.forwarded),
      `${where} per-backend forwarded`,
    ).toBe(s.forwarded);
    expect(
      sum((b) => b.inFlight),
      `${where} per-backend inFlight`,
    ).toBe(s.inFlight);
    expect(
      sum((b) => b.failed),
      `${where} per-backend failed`,
    ).toBe(s.failed);
    expect(
      sum((b) => b.timedOut),
      `${where} per-backend timedOut`,
    ).toBe(s.timedOut);
    expect(s.inFlight, where).toBe(lb.liveProcessCount);
    expect(s.healthy, where).toBe(s.backends.filter((b) => b.healthy).length);
    if (whole) {
      expect(s.markedUnhealthy - s.markedHealthy, where).toBe(s.backends.length - s.healthy);
    }
    for (const b of s.backends) {
      if (!Number.isNaN(b.responseTime)) expect(b.responseTime, where).toBeGreaterThanOrEqual(0);
    }
    if (m.checkers.length === 0) expect(s.markedUnhealthy, where).toBe(0);
  }

  // HealthChecker: every check passed, was refused, timed out or was cut short by a crash; marks
  // alternate per backend, unhealthy first, in time order.
  for (const checker of m.checkers) {
    const s = checker.stats;
    const where = `checker ${checker.name}`;
    nonNegativeCounters(where, { ...s, transitions: 0 });
    // A check passed, was refused (failed), timed out, was cut short by a crash, or is out.
    expect(s.checks, where).toBe(s.passed + s.failed + s.timedOut + s.lostToCrash + s.inFlight);
    expect(s.markedUnhealthy + s.markedHealthy, where).toBe(s.transitions.length);
    const last = new Map<string, string>();
    let time = 0;
    for (const t of s.transitions) {
      expect(t.time, where).toBeGreaterThanOrEqual(time);
      time = t.time;
      // After a statistics reset the log restarts with a backend in either state.
      const before = last.get(t.backend) ?? (whole ? "healthy" : undefined);
      expect(t.state, `${where} ${t.backend} at ${t.time}`).not.toBe(before);
      last.set(t.backend, t.state);
    }
  }

  // Messages are conserved on every edge: whatever a caller says it sent, its callees received,
  // unless a link lost some. A callee that crashed dropped what arrived while it was down; that
  // count (`droppedWhileDown`) includes replies to its own calls, so it only bounds the loss.
  if (
    whole &&
    m.links.every((l) => l.stats.messagesDropped === 0) &&
    networkFaults.dropped + networkFaults.duplicated === 0
  ) {
    for (const edge of m.edges) {
      const received = edge.to.reduce((n, e) => n + e.counters.received, 0);
      const dropped = edge.to.reduce((n, e) => n + e.counters.droppedWhileDown, 0);
      const sent = edge.sent();
      if (edge.to.some((e) => m.crashed.has(e))) {
        expect(received, `${edge.label}: received vs sent`).toBeLessThanOrEqual(sent);
        expect(received + dropped, `${edge.label}: arrived vs sent`).toBeGreaterThanOrEqual(sent);
      } else {
        expect(received, `${edge.label}: received vs sent`).toBe(sent);
        expect(dropped, `${edge.label}: dropped`).toBe(0);
      }
    }
  }

  for (const link of m.links) {
    const s = link.stats;
    nonNegativeCounters(`link ${link.name}`, s);
    expect(s.utilization).toBeLessThanOrEqual(1);
    if (m.spec.network?.loss === 0) expect(s.messagesDropped).toBe(0);
  }
}

/**
 * A run under a random fault schedule: every fault ran and healed; messages are conserved at
 * the network (sent + copies duplicated = arrived + dropped at the network + held by a clog,
 * nothing in flight once the run drained); the network's partition and loss drops are exactly
 * what its faults' rows count; a crash of a proxy or balancer counted lost exactly the
 * requests it held (its processes cancelled).
 */
function checkFaultSchedule(
  m: BuiltModel,
  networkFaults: { dropped: number; duplicated: number },
): void {
  const rows = m.schedule!.rows();
  for (const row of rows) {
    expect(row.status, `fault ${row.index} ${row.kind}`).toBe("healed");
    if (
      (row.kind === "crash" || row.kind === "process-crash") &&
      m.proxies.has(m.sim.entity(row.targets[0]!)!)
    ) {
      const e = row.effects;
      expect(
        (e.lostToCrash ?? 0) + (e.lostWaiting ?? 0),
        `${row.kind} of ${row.targets[0]} at ${row.activatedAt}: lost vs requests held`,
      ).toBe(e.processesCancelled ?? 0);
    }
  }
  const messages = m.messages!;
  const dropped = [...messages.dropped.values()].reduce((n, count) => n + count, 0);
  const held = m.network!.faultStats.heldNow;
  expect(held, "held by a clog at the end").toBe(0);
  expect(
    messages.sent + networkFaults.duplicated,
    `network: sent ${messages.sent} + duplicated ${networkFaults.duplicated} = arrived ${messages.arrived} + dropped ${JSON.stringify([...messages.dropped])} + held ${held}`,
  ).toBe(messages.arrived + dropped + held);
  expect(
    (messages.dropped.get("partition") ?? 0) + (messages.dropped.get("fault-loss") ?? 0),
    "network drops by faults vs their rows",
  ).toBe(networkFaults.dropped);
}

/** Every entity's metrics, as comparable data. */
function metricsOf(summary: { entities: readonly { name: string; metrics: object }[] }) {
  return summary.entities.map((e) => ({ name: e.name, metrics: e.metrics }));
}

/** Builds and runs `spec` twice, checks the two runs agree, and checks the invariants of the first. */
export function runAndCheck(spec: ModelSpec): BuiltModel {
  const built: BuiltModel[] = [];
  const verdict = checkDeterminism(
    (seed) => {
      const model = buildModel(spec, seed);
      runToQuiet(model, MAX_EVENTS);
      built.push(model);
      return model.sim;
    },
    spec.seed,
    { maxEvents: MAX_EVENTS },
  );
  expect(verdict.differences).toEqual([]);
  expect(metricsOf(verdict.second)).toEqual(metricsOf(verdict.first));
  checkInvariants(built[0]!, verdict.first);
  return built[0]!;
}

/**
 * The Client or PooledClient (never crashed) and the source driving it. Both share one retry
 * loop, so the same identities hold; a PooledClient's attempt may also fail for want of a
 * connection (`connectionTimedOut`, counted apart from `timedOut`, and never forwarded), or be
 * refused by a crashed pool (a `RemoteError`, in `failed`).
 */
function checkClient(
  m: BuiltModel,
  entity: NonNullable<BuiltModel["client"]>,
  hanging: boolean,
  networkFaults: { dropped: number; duplicated: number },
): void {
  const source = m.source!;
  // requests = succeeded + gaveUp + lostToCrash + abandoned + inFlight (never crashed, never
  // abandoned here); forwarded = requests + retries, and every forwarded attempt succeeded,
  // failed, timed out (or got no connection), or is the one
  // outstanding attempt of an in-flight request (at the end no request can be sleeping in a
  // backoff or waiting for a connection: that would be a pending timer). In flight at the end
  // only if hanging, one call and one process per request.
  const client = entity.stats;
  nonNegativeCounters("client", client);
  const spec = m.spec.client;
  const maxAttempts = spec.retry.kind === "none" ? 1 : spec.retry.maxAttempts;
  const connectionTimedOut = entity instanceof PooledClient ? entity.stats.connectionTimedOut : 0;
  const whole = m.spec.resetAt === null;
  if (whole) expect(entity.counters.received).toBe(client.requests);
  expect(client.lostToCrash + client.abandoned).toBe(0);
  expect(client.requests).toBe(client.succeeded + client.gaveUp + client.inFlight);
  // After a reset, a request in flight but between attempts (in a backoff) counts again as a
  // request, not as an attempt: its retry is then one attempt more than the attempts counted.
  if (whole) expect(client.forwarded).toBe(client.requests + client.retries);
  else expect(client.forwarded).toBeLessThanOrEqual(client.requests + client.retries);
  expect(client.retries).toBeLessThanOrEqual(client.requests * (maxAttempts - 1));
  expect(client.timedOut + client.failed + connectionTimedOut).toBe(
    client.forwarded - client.succeeded - client.inFlight,
  );
  const finished = client.succeeded + client.gaveUp;
  if (finished > 0) expect(client.failureRate).toBe(client.gaveUp / finished);
  else expect(client.failureRate).toBeNaN();
  expect(entity.finishedLatency.count).toBe(finished);
  expect(client.inFlight).toBe(entity.pendingCallCount);
  expect(client.inFlight).toBe(entity.liveProcessCount);
  if (!hanging) expect(client.inFlight).toBe(0);
  expect(client.retriesDenied).toBeLessThanOrEqual(client.gaveUp);
  if (spec.budget === null) expect(client.retriesDenied).toBe(0);
  else expect(client.retries).toBeLessThanOrEqual(budgetCap(spec.budget, client.requests));
  if (spec.timeout === null) expect(client.timedOut).toBe(0);
  // Without a lossy link or a network fault that drops, every message the source generated
  // reached the client; a duplication fault may deliver one twice.
  const lossless =
    m.links.every((l) => l.stats.messagesDropped === 0) && networkFaults.dropped === 0;
  if (!whole) {
    // The two may count from different instants after a reset.
  } else if (networkFaults.duplicated > 0) {
    expect(client.requests).toBeLessThanOrEqual(source.generated + networkFaults.duplicated);
    if (lossless) expect(client.requests).toBeGreaterThanOrEqual(source.generated);
  } else if (lossless) {
    expect(client.requests).toBe(source.generated);
  } else {
    expect(client.requests).toBeLessThanOrEqual(source.generated);
  }
  expect(source.generated).toBeLessThanOrEqual(m.spec.count);
  // With a timeout, a request ends within maxAttempts timeouts (each after at most the pool's
  // acquireTimeout waiting for a connection) plus the waits between them (every policy here
  // waits at most 0.1 s), whatever happens behind the client.
  if (spec.timeout !== null && finished > 0) {
    const acquire = m.pooled === null ? 0 : m.pooled.spec.acquireTimeout;
    const bound = maxAttempts * (acquire + spec.timeout) + (maxAttempts - 1) * 0.1;
    // Every finished request, given up or not.
    expect(
      entity.finishedLatency.max,
      "client: a request's end within its timeouts",
    ).toBeLessThanOrEqual(bound + 1e-6);
  }
  if (client.succeeded > 0) {
    expect(client.meanLatency).toBeLessThanOrEqual(client.maxLatency * (1 + 1e-12));
    percentileWithin(
      "client.p50Latency",
      client.p50Latency,
      entity.latency.min,
      entity.latency.max,
    );
    percentileWithin(
      "client.p99Latency",
      client.p99Latency,
      entity.latency.min,
      entity.latency.max,
    );
    expect(client.p50Latency).toBeLessThanOrEqual(client.p99Latency);
  }
}

/**
 * ConnectionPool and its only user, the PooledClient. open = active + idle and
 * created - closed = open (a crash counts what it loses as closed; sampled through the run
 * too); at most maxConnections open or opening. After the run: nobody waiting and nothing
 * opening (acquire and connect timers keep a run alive), at least minConnections open, and no
 * connection held unless the client hangs (then at most one per request in flight: a
 * connection held across a crash is no longer counted). Every acquisition is one attempt that
 * got a connection, and every acquire timeout one attempt that did not.
 */
function checkPool(p: NonNullable<BuiltModel["pooled"]>, hanging: boolean, whole: boolean): void {
  const { pool, client, spec } = p;
  const s = pool.stats;
  const where = `pool ${pool.name}`;
  nonNegativeCounters(where, s);
  expect(s.open, where).toBe(s.active + s.idle);
  expect(s.connectionsCreated - s.connectionsClosed, where).toBe(s.open);
  expect(s.open + s.opening, where).toBeLessThanOrEqual(spec.maxConnections);
  expect(s.queued, where).toBe(0);
  expect(s.opening, where).toBe(0);
  expect(s.open, where).toBeGreaterThanOrEqual(spec.minConnections);
  expect(s.active, where).toBeLessThanOrEqual(client.stats.inFlight);
  if (!hanging) expect(s.active, where).toBe(0);
  if (whole) {
    expect(s.acquisitions, where).toBe(client.connectionWait.count);
    expect(s.acquisitions, where).toBe(pool.acquireWait.count);
    expect(s.timedOut, where).toBe(client.stats.connectionTimedOut);
  }
  // A waiter gives up after acquireTimeout, so no acquisition waited longer.
  expect(s.maxAcquireWait, where).toBeLessThanOrEqual(spec.acquireTimeout + 1e-9);
  expect(s.meanAcquireWait, where).toBeLessThanOrEqual(s.maxAcquireWait * (1 + 1e-12));
}

/**
 * ClosedLoopClients: every request sent was answered, timed out, was refused, or is still
 * outstanding (an outstanding call; at most one per user, also sampled through the run); none
 * outstanding at the end unless they hang; never more than the count; an answer in time comes
 * within the timeout.
 */
function checkClosedLoop(
  c: NonNullable<BuiltModel["closedLoop"]>,
  hanging: boolean,
  whole: boolean,
): void {
  const { entity: users, spec } = c;
  const where = `closed loop ${users.name}`;
  const outstanding = users.forwarded - users.succeeded - users.timedOut - users.failed;
  expect(outstanding, where).toBe(users.pendingCallCount);
  expect(outstanding, where).toBeGreaterThanOrEqual(0);
  expect(outstanding, where).toBeLessThanOrEqual(spec.users);
  expect(users.liveProcessCount, where).toBe(outstanding);
  if (!hanging) expect(outstanding, where).toBe(0);
  expect(users.forwarded, where).toBeLessThanOrEqual(spec.count);
  // After a reset, the sends before it are forgotten (those still in flight are counted again).
  if (whole)
    expect(users.forwarded, where).toBeGreaterThanOrEqual(Math.min(spec.users, spec.count));
  if (spec.timeout === null) expect(users.timedOut, where).toBe(0);
  expect(users.totalLatency, where).toBeGreaterThanOrEqual(0);
  if (spec.timeout !== null) {
    expect(users.totalLatency, where).toBeLessThanOrEqual(users.succeeded * spec.timeout + 1e-6);
  }
  if (users.succeeded === 0) expect(Number.isNaN(users.meanLatency), where).toBe(true);
}
