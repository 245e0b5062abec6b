/**
 * Goal: pausing a `Network` stalls it, as pausing any entity does: nothing crosses it while it
 * is paused. Messages in flight that fall due meanwhile wait and arrive when the pause ends, in
 * the order they fell due; messages sent meanwhile are not routed (no link draw, no fault) until
 * it ends, then go on in the order sent, as if sent at that instant (their link's latency from
 * then); messages due after the pause arrive on time; a crash of the paused network loses what
 * it held. Messages an entity sends itself do not cross it and are not held.
 * Method: a sender and a receiver over a network whose link takes a constant 0.5 s; arrivals
 * logged with their simulated time, the pause's counts and the network's counters.
 */
import { describe, expect, it } from "vitest";
import {
  dist,
  Entity,
  type Message,
  Network,
  NetworkLink,
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
  const net = new Network(sim, "net", { defaultLink: link });
  const sender = new Entity(sim, "sender");
  const receiver = new Receiver(sim, "receiver");
  const sendAt = (time: number, payload: string) =>
    sim.at(time, () => sender.send(receiver, "note", payload));
  return { sim, net, link, sender, receiver, sendAt };
}

describe("a paused Network", () => {
  it("holds messages in flight and new ones, and delivers them in order when it resumes", () => {
    const { sim, net, receiver, sendAt } = model();
    sendAt(0.8, "in flight, due 1.3");
    sendAt(0.9, "in flight, due 1.4");
    sendAt(1.2, "sent during, leaves at 3");
    sendAt(1.5, "sent during, second");
    sendAt(4, "after");
    let pause: ReturnType<Network["pause"]> | null = null;
    sim.at(1, () => {
      pause = net.pause(2);
    });
    sim.run();
    expect(receiver.log).toEqual([
      "3:in flight, due 1.3",
      "3:in flight, due 1.4",
      "3.5:sent during, leaves at 3",
      "3.5:sent during, second",
      "4.5:after",
    ]);
    expect(pause!.counts).toMatchObject({ messagesHeld: 4 });
    expect(net.messagesStalled).toBe(0);
    expect(net.counters.pauses).toBe(1);
  });

  it("delivers on time what falls due after the pause, and carries no self-sent message", () => {
    const { sim, net, receiver, sendAt } = model();
    sendAt(0.9, "due 1.4");
    sim.at(1, () => net.pause(0.2));
    sim.at(1.1, () => receiver.send(receiver, "note", "to itself"));
    sim.run();
    expect(receiver.log).toEqual(["1.1:to itself", "1.4:due 1.4"]);
  });

  it("a crash while paused loses what it held; the trace says the network was down", () => {
    const { sim, net, receiver, sendAt } = model();
    const drops: string[] = [];
    sim.onTrace((record) => {
      if (record.type === "message-dropped") drops.push(`${record.timeNs / 1e9}:${record.reason}`);
    });
    sendAt(0.8, "in flight");
    sendAt(1.2, "sent during");
    sim.at(1, () => net.pause(2));
    sim.at(2, () => net.crash());
    sim.at(2.5, () => net.recover());
    sendAt(4, "after");
    sim.run();
    expect(receiver.log).toEqual(["4.5:after"]);
    // The one in flight was carried by the link, the one sent during the pause was not.
    expect(net.messagesLostToCrash).toBe(1);
    expect(net.counters.droppedWhileDown).toBe(1);
    expect(drops).toEqual(["2:network-down", "2:network-down"]);
  });

  it("a crash while paused counts in the pause's record what was sent during it too", () => {
    const { sim, net, sendAt } = model();
    sendAt(0.8, "in flight");
    sendAt(1.2, "sent during");
    let pause: ReturnType<Network["pause"]> | null = null;
    sim.at(1, () => {
      pause = net.pause();
    });
    sim.at(2, () => net.crash());
    sim.run();
    expect(pause!.counts).toEqual({ messagesDropped: 2 });
  });

  it("a crash in the instant its pause ends loses what was sent during it, stalling nothing", () => {
    const { sim, net, sendAt } = model();
    sendAt(1.2, "sent during");
    let pause: ReturnType<Network["pause"]> | null = null;
    sim.at(1, () => {
      pause = net.pause();
    });
    sim.at(2, () => {
      pause!.heal();
      net.crash();
    });
    sim.run();
    expect(net.messagesStalled).toBe(0);
    expect(net.counters.droppedWhileDown).toBe(1);
  });

  it("a crash while paused counts each lost message once: the conservation identities hold", () => {
    const { sim, net, link, receiver, sendAt } = model();
    sendAt(0.8, "in flight");
    sendAt(0.9, "in flight too");
    sendAt(1.2, "sent during");
    sim.at(1, () => net.pause());
    sim.at(2, () => net.crash());
    sim.run();
    const offered = 3;
    // offered = carried + lost by the link + refused while down + stalled (the law's identity).
    expect(
      link.stats.messagesSent +
        link.stats.messagesDropped +
        net.counters.droppedWhileDown +
        net.messagesStalled,
    ).toBe(offered);
    // Carried = delivered + lost from the crashed network's buffers.
    expect(link.stats.messagesSent).toBe(receiver.log.length + net.messagesLostToCrash);
    expect(net.messagesLostToCrash).toBe(2);
  });
});
