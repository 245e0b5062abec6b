import { describe, expect, it } from "vitest";
import {
  arrivals,
  ConfigError,
  declareFaultPoint,
  dist,
  Entity,
  FaultSchedule,
  faultPointsOf,
  LoadBalancer,
  Server,
  Simulation,
  SimulationError,
  Source,
  strategy,
} from "../../src/index.js";

function balanced(seed: number) {
  const sim = new Simulation({ seed });
  const servers = [0, 1, 2].map(
    (i) => new Server(sim, `s${i}`, { concurrency: 2, serviceTime: dist.exponential(0.015) }),
  );
  new LoadBalancer(sim, "lb", {
    backends: servers,
    strategy: strategy.leastConnections(),
    timeout: 0.5,
  });
  new Source(sim, "load", {
    target: sim.entity("lb") as LoadBalancer,
    arrivals: arrivals.poisson(200),
    stopAfter: { time: 5 },
  });
  return { sim, servers };
}

describe("fault points", () => {
  it("cost nothing while off: the run is the one before servers declared any", () => {
    const { sim, servers } = balanced(2024);
    expect([...faultPointsOf(servers[0]!).keys()]).toEqual(["server.stall", "server.reply-error"]);
    const summary = sim.run();
    // Pinned from the same model run on commit a8989a6, before Server declared its fault points.
    expect([summary.traceHash, summary.eventsProcessed]).toEqual(["911995898d16f4ea", 6944]);
    for (const server of servers) {
      for (const point of faultPointsOf(server).values()) expect(point.taken).toBe(0);
    }
  });

  it("draw from a stream of their own: switching one on does not move another's draws", () => {
    const run = (withStall: boolean) => {
      const sim = new Simulation({ seed: 7 });
      const server = new Server(sim, "server", {
        concurrency: 4,
        serviceTime: dist.exponential(0.01),
      });
      new Source(sim, "load", {
        target: server,
        arrivals: arrivals.poisson(100),
        stopAfter: { time: 5 },
      });
      const points = faultPointsOf(server);
      points.get("server.reply-error")!.enable(0.3);
      if (withStall) points.get("server.stall")!.enable(0.5, 0.002);
      sim.run();
      return { errors: points.get("server.reply-error")!.taken, completed: server.stats.completed };
    };
    const alone = run(false);
    expect(alone.errors).toBeGreaterThan(100);
    // The n-th completion draws the n-th number of the error point's stream either way.
    expect(run(true)).toEqual(alone);
  });

  it("a delay point adds its delay with its probability", () => {
    const run = (stall: boolean) => {
      const sim = new Simulation({ seed: 3 });
      const server = new Server(sim, "server", {
        serviceTime: dist.constant(0.01),
        concurrency: 1000,
      });
      new Source(sim, "load", {
        target: server,
        arrivals: arrivals.constant(10),
        stopAfter: { time: 100 },
      });
      if (stall) {
        new FaultSchedule(sim, {
          faults: [
            {
              kind: "fault-point",
              targets: ["server"],
              at: 0,
              params: { point: "server.stall", probability: 1, delaySeconds: 0.5 },
            },
          ],
        });
      }
      sim.run();
      return server.stats;
    };
    expect(run(false).meanSojourn).toBeCloseTo(0.01, 12);
    expect(run(true).meanSojourn).toBeCloseTo(0.51, 12);
  });

  it("are declared once per name, and switched on with a checked probability", () => {
    const sim = new Simulation({ seed: 1 });
    const entity = new Entity(sim, "wal");
    const point = declareFaultPoint(entity, "wal.fsync-error");
    expect(() => declareFaultPoint(entity, "wal.fsync-error")).toThrow(SimulationError);
    expect(() => declareFaultPoint(entity, "")).toThrow(ConfigError);
    expect(point.fires()).toBe(false);
    expect(point.delay()).toBe(0);
    expect(() => point.enable(0)).toThrow(ConfigError);
    expect(() => point.enable(1.5)).toThrow(ConfigError);
    expect(() => point.enable(0.5, -1)).toThrow(ConfigError);
    point.enable(1, 0.25);
    expect([point.enabled, point.fires(), point.delay(), point.taken]).toEqual([
      true,
      true,
      0.25,
      2,
    ]);
    point.disable();
    expect([point.enabled, point.fires()]).toEqual([false, false]);
  });
});
