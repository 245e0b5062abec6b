/**
 * Goal: pausing a `NetworkLink` stalls it, as pausing the `Network` stalls the whole network,
 * but only for the messages that cross that link: messages over it that fall due meanwhile wait
 * and arrive when the pause ends, in the order they fell due; messages sent over it meanwhile
 * are not routed (no link draw, no fault) until it ends, then go on in the order sent, as if
 * sent at that instant; other links keep flowing. A crash of the paused link loses what it
 * held; a crash of the network loses what it kept for the link; each lost message is counted
 * once, wherever it was.
 * Method: senders and receivers over links of a constant latency, arrivals logged with their
 * simulated time, the pause's counts and the counters; fast-check over random pauses and crashes
 * of two links, the network and a receiver, the identities checked every 0.1 s and at the end.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  dist,
  Entity,
  type Message,
  Network,
  NetworkLink,
  type NodeFault,
  Simulation,
} from "../../../src/index.js";

class Receiver extends Entity<string> {
  readonly log: string[] = [];
  override handle(message: Message<string>): void {
    this.log.push(`${this.now}:${message.payload}`);
  }
}

function model() {
  const sim = new Simulation({ seed: 1 });
  const link = new NetworkLink(sim, "link", { latency: dist.constant(0.5) });
  const other = new NetworkLink(sim, "other", { latency: dist.constant(0.5) });
  const net = new Network(sim, "net", { defaultLink: other });
  const sender = new Entity(sim, "sender");
  const receiver = new Receiver(sim, "receiver");
  const bystander = new Receiver(sim, "bystander");
  net.addLink(sender, receiver, link);
  const sendAt = (time: number, payload: string, to: Receiver = receiver) =>
    sim.at(time, () => sender.send(to, "note", payload));
  const drops: string[] = [];
  sim.onTrace((record) => {
    if (record.type === "message-dropped") drops.push(`${record.timeNs / 1e9}:${record.reason}`);
  });
  return { sim, net, link, other, sender, receiver, bystander, sendAt, drops };
}

describe("a paused NetworkLink", () => {
  it("holds messages in flight over it and new ones, and delivers them in order when it resumes", () => {
    const { sim, net, link, receiver, sendAt } = model();
    sendAt(0.8, "in flight, due 1.3");
    sendAt(0.9, "in flight, due 1.4");
    sendAt(1.2, "sent during, leaves at 3");
    sendAt(1.5, "sent during, second");
    sendAt(4, "after");
    let pause: NodeFault | null = null;
    sim.at(1, () => {
      pause = link.pause(2);
    });
    const during: number[][] = [];
    sim.at(2, () =>
      during.push([link.messagesStalled, net.messagesStalled, link.stats.messagesSent]),
    );
    sim.run();
    expect(receiver.log).toEqual([
      "3:in flight, due 1.3",
      "3:in flight, due 1.4",
      "3.5:sent during, leaves at 3",
      "3.5:sent during, second",
      "4.5:after",
    ]);
    // At 2 s: two wait for the link (the network counts them too); the link carried only two.
    expect(during).toEqual([[2, 2, 2]]);
    expect(pause!.counts).toMatchObject({ messagesHeld: 4 });
    expect([link.messagesStalled, net.messagesStalled]).toEqual([0, 0]);
    expect(link.stats.messagesSent).toBe(5);
    expect(link.counters.pauses).toBe(1);
  });

  it("leaves the other links flowing", () => {
    const { sim, link, receiver, bystander, sendAt } = model();
    sendAt(0.8, "over the paused link");
    sendAt(0.8, "over the other link", bystander);
    sendAt(1.2, "sent during, other link", bystander);
    sim.at(1, () => link.pause(2));
    sim.run();
    expect(bystander.log).toEqual(["1.3:over the other link", "1.7:sent during, other link"]);
    expect(receiver.log).toEqual(["3:over the paused link"]);
  });

  it("applies no fault to what it keeps until the pause ends: the faults in force then apply", () => {
    const { sim, net, link, sender, receiver, sendAt } = model();
    sim.at(1, () => link.pause(2));
    // Cut during the pause only: a message routed while the cut held would be dropped.
    sim.at(1.1, () => net.partition([sender], [receiver], { for: 1 }));
    sendAt(1.5, "sent during the cut");
    sim.run();
    expect(receiver.log).toEqual(["3.5:sent during the cut"]);
    expect(net.messagesDroppedByPartition).toBe(0);
  });

  it("a crash of the paused link loses what it held, each counted once by the link", () => {
    const { sim, net, link, receiver, sendAt, drops } = model();
    sendAt(0.8, "in flight");
    sendAt(1.2, "sent during");
    let pause: NodeFault | null = null;
    sim.at(1, () => {
      pause = link.pause(2);
    });
    sim.at(1.5, () => link.crash());
    sim.at(2, () => link.recover());
    sendAt(2.5, "after the recovery");
    sim.run();
    expect(receiver.log).toEqual(["3:after the recovery"]);
    expect(drops).toEqual(["1.5:link-down", "1.5:link-down"]);
    // The one in flight was carried (messagesSent) and lost from the link's buffers; the one
    // sent during the pause was never carried: offered to a cut wire.
    expect(link.messagesLostToCrash).toBe(1);
    expect(link.counters.droppedWhileDown).toBe(1);
    expect(link.stats.messagesSent).toBe(2);
    expect(pause!.counts).toMatchObject({ messagesDropped: 2 });
    expect([net.messagesLostToCrash, net.counters.droppedWhileDown]).toEqual([0, 0]);
    expect(link.isPaused).toBe(false);
  });

  it("a crash of the network loses what it kept for a paused link, not what the link holds", () => {
    const { sim, net, link, receiver, sendAt, drops } = model();
    sendAt(0.8, "in flight");
    sendAt(1.2, "sent during");
    let pause: NodeFault | null = null;
    sim.at(1, () => {
      pause = link.pause(2);
    });
    sim.at(1.5, () => net.crash());
    sim.at(2, () => net.recover());
    sim.run();
    // The message on the wire arrives when the link resumes; the one the network kept is lost.
    expect(receiver.log).toEqual(["3:in flight"]);
    expect(drops).toEqual(["1.5:network-down"]);
    expect(net.counters.droppedWhileDown).toBe(1);
    expect(net.messagesLostToCrash).toBe(0);
    expect([link.messagesLostToCrash, link.counters.droppedWhileDown]).toEqual([0, 0]);
    expect(link.stats.messagesSent).toBe(1);
    expect(pause!.counts).toMatchObject({ messagesHeld: 1 });
    expect(net.messagesStalled).toBe(0);
  });

  it("a crash of a paused network over a paused link counts each lost message once", () => {
    const { sim, net, link, receiver, sendAt, drops } = model();
    sendAt(0.6, "in flight, due 1.1: the network holds it");
    sim.at(0.9, () => link.pause(3));
    sendAt(0.95, "kept for the link");
    sim.at(1, () => net.pause(3));
    sendAt(1.2, "kept by the network");
    sim.at(1.5, () => net.crash());
    sim.at(2, () => net.recover());
    sendAt(2.5, "after the recovery, kept for the link");
    sim.run();
    expect(receiver.log).toEqual(["4.4:after the recovery, kept for the link"]);
    expect(drops).toEqual(["1.5:network-down", "1.5:network-down", "1.5:network-down"]);
    // Carried and lost from the network's buffers; kept (never carried) and dropped.
    expect(net.messagesLostToCrash).toBe(1);
    expect(net.counters.droppedWhileDown).toBe(2);
    expect([link.messagesLostToCrash, link.counters.droppedWhileDown]).toEqual([0, 0]);
    expect(link.stats.messagesSent).toBe(2);
  });

  it("under random pauses and crashes of links, network and receiver, counts every message once", () => {
    const target = fc.constantFrom("link", "other", "net", "receiver");
    const step = fc.record({
      at: fc.integer({ min: 0, max: 40 }).map((tenths) => tenths / 10),
      target,
      kind: fc.constantFrom("pause", "pause", "crash"),
      length: fc.integer({ min: 1, max: 20 }).map((tenths) => tenths / 10),
    });
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 50 }), toBystander: fc.boolean() }), {
          maxLength: 40,
        }),
        fc.array(step, { maxLength: 10 }),
        (sends, steps) => {
          const sim = new Simulation({ seed: 7 });
          const link = new NetworkLink(sim, "link", {
            latency: dist.constant(0.35),
            lossProbability: 0.1,
          });
          const other = new NetworkLink(sim, "other", { latency: dist.constant(0.25) });
          const net = new Network(sim, "net", { defaultLink: other });
          const sender = new Entity(sim, "sender");
          const receiver = new Receiver(sim, "receiver");
          const bystander = new Receiver(sim, "bystander");
          net.addLink(sender, receiver, link);
          const links = [link, other];
          for (const { at, toBystander } of sends) {
            const to = toBystander ? bystander : receiver;
            sim.at(at / 10, () => sender.send(to, "note", `${at}`));
          }
          const entities: Record<string, Entity<never, unknown>> = {
            link,
            other,
            net,
            receiver,
          };
          for (const { at, target, kind, length } of steps) {
            const entity = entities[target]!;
            sim.at(at, () => {
              if (!entity.isUp) return;
              if (kind === "pause") entity.pause(length);
              else {
                entity.crash();
                sim.after(length, () => {
                  if (!entity.isUp) entity.recover();
                });
              }
            });
          }
          const sum = (count: (l: NetworkLink) => number) =>
            links.reduce((total, l) => total + count(l), 0);
          let sent = 0;
          const offered = () =>
            sum((l) => l.stats.messagesSent + l.stats.messagesDropped) +
            sum((l) => l.counters.droppedWhileDown) +
            net.counters.droppedWhileDown +
            net.messagesStalled;
          const check = () => {
            expect(offered(), `offered at ${sim.now}`).toBe(sent);
            expect(net.messagesStalled).toBeGreaterThanOrEqual(sum((l) => l.messagesStalled));
          };
          sim.onTrace((record) => {
            if (record.type === "message-sent") sent++;
          });
          const tick = () => {
            check();
            sim.after(0.1, tick, undefined, { daemon: true });
          };
          sim.after(0, tick, undefined, { daemon: true });
          sim.run();
          check();
          expect(sent).toBe(sends.length);
          expect(net.messagesStalled).toBe(0);
          expect(links.map((l) => l.isPaused)).toEqual([false, false]);
          // Carried = handled + dropped at a down receiver + lost from a crashed carrier's buffers.
          expect(sum((l) => l.stats.messagesSent)).toBe(
            receiver.log.length +
              bystander.log.length +
              receiver.counters.droppedWhileDown +
              net.messagesLostToCrash +
              sum((l) => l.messagesLostToCrash),
          );
        },
      ),
      { seed: 16, numRuns: 250 },
    );
  });
});
