/**
 * Goal: random pauses, crashes and recoveries of a `Network` and of its receiver keep every
 * message counted exactly once: offered = carried + lost by the link + refused or stalled while
 * the network was down + stalled now; carried = handled + dropped at the down receiver + lost
 * from the crashed network's buffers.
 * Method: fast-check draws send times and a sequence of fault steps (pause for a while, crash
 * then recover), on the network or the receiver; the run drains; the counts are compared.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  dist,
  Entity,
  type Message,
  Network,
  NetworkLink,
  Simulation,
} from "../../../src/index.js";

class Receiver extends Entity<number> {
  handled = 0;
  override handle(_message: Message<number>): void {
    this.handled++;
  }
}

const step = fc.record({
  at: fc.integer({ min: 0, max: 40 }).map((tenths) => tenths / 10),
  onNetwork: fc.boolean(),
  kind: fc.constantFrom("pause", "crash"),
  length: fc.integer({ min: 1, max: 20 }).map((tenths) => tenths / 10),
});

describe("a Network under random pauses and crashes", () => {
  it("counts every message once", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 40 }),
        fc.array(step, { maxLength: 8 }),
        (sendTenths, steps) => {
          const sim = new Simulation({ seed: 7 });
          const link = new NetworkLink(sim, "link", {
            latency: dist.constant(0.35),
            lossProbability: 0.1,
          });
          const net = new Network(sim, "net", { defaultLink: link });
          const sender = new Entity(sim, "sender");
          const receiver = new Receiver(sim, "receiver");
          for (const tenths of sendTenths) {
            sim.at(tenths / 10, () => sender.send(receiver, "note", tenths));
          }
          for (const { at, onNetwork, kind, length } of steps) {
            const target: Entity = onNetwork ? net : receiver;
            sim.at(at, () => {
              if (!target.isUp) return;
              if (kind === "pause") target.pause(length);
              else {
                target.crash();
                sim.after(length, () => {
                  if (!target.isUp) target.recover();
                });
              }
            });
          }
          sim.run();
          expect(net.messagesStalled).toBe(0);
          expect(
            link.stats.messagesSent +
              link.stats.messagesDropped +
              net.counters.droppedWhileDown +
              net.messagesStalled,
          ).toBe(sendTenths.length);
          expect(link.stats.messagesSent).toBe(
            receiver.handled + receiver.counters.droppedWhileDown + net.messagesLostToCrash,
          );
        },
      ),
      { seed: 15, numRuns: 300 },
    );
  });
});
