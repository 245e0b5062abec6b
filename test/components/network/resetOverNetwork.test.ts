/**
 * Goal: a process crash's connection reset is a packet: over a `Network` it reaches each caller
 * through the path its call used, after that path's latency, and is lost where the path is cut
 * (partition, loss) or held where it is clogged, so the caller then learns by its timeout, as
 * after a host crash. Refusals of calls that reach the dead process travel back the same way.
 * Each call is reset at most once. Without a network the reset stays instant (test/core).
 * Method: a caller calling a slow echo server across a network with a constant-latency link;
 * outcomes logged with their simulated time, the callee's counters and the trace.
 */
import { describe, expect, it } from "vitest";
import {
  type ConnectionResetError,
  dist,
  Entity,
  type Message,
  Network,
  NetworkLink,
  Simulation,
  type TraceRecord,
} from "../../../src/index.js";

class Echo extends Entity<string, string> {
  override *handle(request: Message<string>) {
    yield 10;
    this.reply(request, `echo ${request.payload}`);
  }
}

class Caller extends Entity {
  readonly log: string[] = [];
  readonly errors: unknown[] = [];
  constructor(
    sim: Simulation,
    name: string,
    private readonly target: Entity<string, string>,
    times: readonly number[],
    private readonly timeout?: number,
  ) {
    super(sim, name);
    for (const time of times) this.at(time, this.fire, `call@${time}`);
  }
  private readonly fire = (label: string): void => {
    this.start(this.ask(label));
  };
  private *ask(label: string) {
    try {
      const options = this.timeout === undefined ? undefined : { timeout: this.timeout };
      this.log.push(`${this.now}:${yield* this.call(this.target, "ask", label, options)}`);
    } catch (error) {
      this.errors.push(error);
      this.log.push(`${this.now}:${(error as Error).name} ${label}`);
    }
  }
}

/** A caller and a server over a network whose every link takes `latency` seconds. */
function model(latency: number) {
  const sim = new Simulation({ seed: 1 });
  const net = new Network(sim, "net", {
    defaultLink: new NetworkLink(sim, "link", { latency: dist.constant(latency) }),
  });
  const server = new Echo(sim, "server");
  return { sim, net, server };
}

describe("a process crash's reset over a network", () => {
  it("reaches the caller after the path's latency", () => {
    const { sim, server } = model(0.25);
    const caller = new Caller(sim, "caller", server, [0], 30);
    sim.at(1, () => server.crash({ kind: "process" }));
    sim.run();
    expect(caller.log).toEqual(["1.25:ConnectionResetError call@0"]);
    expect((caller.errors[0] as ConnectionResetError).refused).toBe(false);
    expect((caller.errors[0] as ConnectionResetError).entity).toBe("server");
    expect(server.counters.callsReset).toBe(1);
  });

  it("is lost to a partition: the caller learns by its timeout", () => {
    const { sim, net, server } = model(0.25);
    const caller = new Caller(sim, "caller", server, [0], 5);
    sim.at(0.5, () => net.partition([caller], [server]));
    sim.at(1, () => server.crash({ kind: "process" }));
    sim.run();
    expect(caller.log).toEqual(["5:TimeoutError call@0"]);
    expect(net.messagesDroppedByPartition).toBe(1);
    // The host sent its reset: counted where it was sent, whatever became of it.
    expect(server.counters.callsReset).toBe(1);
  });

  it("is lost to a loss fault on the way back, and held by a clog until it heals", () => {
    const lost = model(0.25);
    const caller = new Caller(lost.sim, "caller", lost.server, [0], 5);
    lost.sim.at(0.5, () =>
      lost.net.addLoss({ probability: 1, between: [[lost.server], [caller]], oneWay: true }),
    );
    lost.sim.at(1, () => lost.server.crash({ kind: "process" }));
    lost.sim.run();
    expect(caller.log).toEqual(["5:TimeoutError call@0"]);

    const clogged = model(0.25);
    const waiting = new Caller(clogged.sim, "caller", clogged.server, [0], 30);
    clogged.sim.at(0.5, () => clogged.net.clog({ nodes: [waiting], for: 2 }));
    clogged.sim.at(1, () => clogged.server.crash({ kind: "process" }));
    clogged.sim.run();
    expect(waiting.log).toEqual(["2.75:ConnectionResetError call@0"]);
  });

  it("a refusal travels back too, and a call is reset once however often it is refused", () => {
    const { sim, server } = model(0.25);
    const caller = new Caller(sim, "caller", server, [2], 30);
    // The call reaches the dead process at 2.25; the refusal is back at 2.5.
    sim.at(1, () => server.crash({ kind: "process" }));
    sim.run();
    expect(caller.log).toEqual(["2.5:ConnectionResetError call@2"]);
    expect((caller.errors[0] as ConnectionResetError).refused).toBe(true);
    expect(server.counters.callsReset).toBe(1);
  });

  it("a call still on its way when the process dies is reset by the crash, not again on arrival", () => {
    const { sim, server } = model(0.25);
    const caller = new Caller(sim, "caller", server, [0.9], 30);
    const records: TraceRecord[] = [];
    sim.onTrace((record) => records.push(record));
    sim.at(1, () => server.crash({ kind: "process" }));
    sim.run();
    expect(caller.log).toEqual(["1.25:ConnectionResetError call@0.9"]);
    expect(server.counters.callsReset).toBe(1);
    const settled = records.filter((record) => record.type === "call-settled");
    expect(settled).toMatchObject([{ entity: "caller", outcome: "reset", timeNs: 1.25e9 }]);
  });

  it("a reset arriving after the call timed out is dropped, uncounted", () => {
    const { sim, server } = model(2);
    const caller = new Caller(sim, "caller", server, [0], 2.5);
    sim.at(3, () => server.crash({ kind: "process" }));
    sim.run();
    expect(caller.log).toEqual(["2.5:TimeoutError call@0"]);
    expect(caller.counters.lateReplies).toBe(0);
  });
});
