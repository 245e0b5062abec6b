/**
 * `NetworkLink`: one direction of a network path. A message crossing it waits for the link to
 * be free (messages are serialised onto the wire one after another), takes its transmission
 * time (size x 8 / bandwidth), then its propagation latency (a distribution, plus optional
 * jitter), and may be lost. This is why a large message, or a burst of them, is slow even on a
 * fast network: bandwidth makes messages queue behind each other, latency alone never does.
 *
 * Links do nothing on their own: a `Network` routes messages through them. A paused link is a
 * stalled wire (a router's buffer that stops draining): the network holds what crosses it until
 * the pause ends (see `messagesStalled`).
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import type { DropReason } from "../../core/trace.js";
import type { Distribution } from "../../random/distributions/distribution.js";
import { checkParam, type Param, valueAt } from "../../random/profile.js";
import { requireDistribution } from "../shared/validate.js";

/** What `carry` returns for a message the link lost. */
export const LOST = -1;
/** What `carry` returns for a message offered while the link is crashed. */
export const LINK_DOWN = -2;

/** A message sent while its network or its link was paused, and when it could have left at the earliest. */
export interface StalledMessage {
  readonly message: Message<unknown>;
  readonly readyNs: number;
}

export interface NetworkLinkOptions {
  /** One-way propagation latency, in seconds (a distribution; `dist.constant(0.0005)` for fixed). */
  latency: Distribution;
  /** Extra random delay added to the latency, in seconds. Default: none. */
  jitter?: Distribution;
  /** Bits per second; transmission time is sizeBytes x 8 / bandwidth. Default: unlimited. */
  bandwidthBps?: Param;
  /** Probability in [0, 1] that a message is lost. Default 0. */
  lossProbability?: Param;
}

/** What a link has done so far. */
export interface NetworkLinkStats {
  readonly messagesSent: number;
  readonly messagesDropped: number;
  readonly bytesSent: number;
  /**
   * Fraction of the link's lifetime (since its creation or the last statistics reset) it spent
   * transmitting (0 with unlimited bandwidth).
   */
  readonly utilization: number;
}

export class NetworkLink extends Entity {
  static readonly catalog: CatalogEntry = {
    name: "NetworkLink",
    kind: "component",
    role: "handoff",
    layer: "local",
    contract:
      "Delivers each message after queueing behind earlier ones for the wire, its transmission time (size / bandwidth) and a sampled latency, unless it is lost.",
    requires: ["Clock", "Buffer"],
    provides: ["Ordered", "BestEffort"],
    inputs: ["messages from a Network"],
    outputs: ["delivered messages", "messagesSent, messagesDropped, bytesSent, utilization"],
    state: "when the wire is next free; counters",
    failure_semantics:
      "Loss is silent to both ends (the sender learns only by timeout); nothing is retransmitted. Jitter can reorder messages; bandwidth queueing never does. A crashed link is a cut wire: it drops every message offered to it until recover() (counters.droppedWhileDown); messages already on the wire arrive. A paused link is a stalled wire: messages crossing it that fall due wait, messages sent over it are not routed, and both go on when it resumes, in order; a crash of the paused link loses them.",
    composition_rules: ["Transport", "Router"],
    operational_knobs: knobs<NetworkLinkOptions>()(
      "latency",
      "jitter",
      "bandwidthBps",
      "lossProbability",
    ),
  };

  private readonly latency: Distribution;
  private readonly jitter: Distribution | null;
  private readonly bandwidthBps: Param | null;
  private readonly lossProbability: Param;
  private readonly draws = this.random("link");
  /** What bandwidth cuts (`Network.cutBandwidth`) leave of the bandwidth: 1 with none. */
  private bandwidthFactor = 1;
  private wireFreeNs = 0;
  /** Transmission time, in ns, up to `wireFreeNs`, counted from the statistics' epoch. */
  private busyNs = 0;
  private sent = 0;
  private dropped = 0;
  private bytes = 0;
  private lostToCrash = 0;
  /** Messages the network keeps for this link while it is paused, in the order sent. */
  private stalled: StalledMessage[] = [];

  constructor(sim: Simulation, name: string, options: NetworkLinkOptions) {
    // Validated before registering, so a refused link leaves its name free.
    const valid = validateLinkOptions(name, options);
    super(sim, name);
    this.latency = valid.latency;
    this.jitter = valid.jitter;
    this.bandwidthBps = valid.bandwidthBps;
    this.lossProbability = valid.lossProbability;
  }

  /**
   * The delay (ns) after which a message of `sizeBytes` sent now arrives, or `LOST` if it is
   * lost, or `LINK_DOWN` while the link is crashed. Advances the wire: a later message queues
   * behind this one.
   */
  carry(sizeBytes: number): number {
    if (!this.isUp) {
      // A crashed link is a cut wire: what is offered to it goes nowhere until recover().
      this.counters.droppedWhileDown++;
      return LINK_DOWN;
    }
    const now = this.now;
    const nowNs = this.nowNs;
    if (this.draws.next() < valueAt(this.lossProbability, now)) {
      this.dropped++;
      return LOST;
    }
    this.sent++;
    this.bytes += sizeBytes;
    let departNs = nowNs;
    if (this.bandwidthBps !== null && sizeBytes > 0) {
      const start = Math.max(nowNs, this.wireFreeNs);
      const bandwidthBps = valueAt(this.bandwidthBps, now) * this.bandwidthFactor;
      const transmitNs = Math.round(((sizeBytes * 8) / bandwidthBps) * 1e9);
      this.wireFreeNs = start + transmitNs;
      this.busyNs += transmitNs;
      departNs = this.wireFreeNs;
    }
    let latency = this.latency.sample(this.draws, now);
    if (this.jitter !== null) latency += this.jitter.sample(this.draws, now);
    if (!(latency >= 0)) {
      throw new RangeError(
        `NetworkLink "${this.name}": latency plus jitter drew ${latency}s; use non-negative distributions`,
      );
    }
    return departNs - nowNs + Math.round(latency * 1e9);
  }

  /** @internal Whether messages take transmission time here (a bandwidth is set). */
  get _bandwidthLimited(): boolean {
    return this.bandwidthBps !== null;
  }

  /** @internal Set by the network from the bandwidth cuts on this link (their product). */
  _setBandwidthFactor(factor: number): void {
    this.bandwidthFactor = factor;
  }

  /**
   * Messages sent over the link while it is paused, kept by the network until the pause ends
   * (not offered to the link yet: no draw, no fault applied).
   */
  get messagesStalled(): number {
    return this.stalled.length;
  }

  /**
   * Messages the link had carried, in flight and held by its pause when it crashed, lost with
   * its buffers (since creation or the last statistics reset). Not in `counters.droppedWhileDown`,
   * which counts messages offered to it while down: these were counted in `messagesSent`.
   */
  get messagesLostToCrash(): number {
    return this.lostToCrash;
  }

  /**
   * @internal The network keeps `message` until this paused link resumes: `release`, a timer of
   * the link's own (held by its pause, so it runs when the pause ends, in order with what the
   * pause held), hands the kept messages back to the network then.
   */
  _stall(message: Message<unknown>, readyNs: number, release: (link: NetworkLink) => void): void {
    if (this.stalled.length === 0) this.after(0, release, this);
    this.stalled.push({ message, readyNs });
    this._countHeldMessage(1);
  }

  /** @internal What waits for the link, in the order sent; the link keeps none of it. */
  _takeStalled(): StalledMessage[] {
    const stalled = this.stalled;
    this.stalled = [];
    return stalled;
  }

  /**
   * @internal A crash ends the pause: what was kept for the link is offered to a cut wire,
   * dropped and counted as such (counted in the pause's record with what it held, by
   * `Entity.crash`).
   */
  override _dropKeptMessages(): number {
    const stalled = this._takeStalled();
    for (const { message } of stalled) {
      this.counters.droppedWhileDown++;
      this.traceMessageDropped(message, "link-down");
    }
    return stalled.length;
  }

  /** @internal A carried message held by the pause was lost in the crash (see `Entity.crash`). */
  override _carriedMessageLost(): void {
    this.lostToCrash++;
  }

  /** @internal What a message lost from the link's buffers in a crash was lost to. */
  override _carriedLossReason(): DropReason {
    return "link-down";
  }

  /**
   * A crash in the instant a pause ended, before the timer that hands the kept messages back
   * ran, drops them too (the timer is cancelled with the link's others).
   */
  protected override onCrash(): void {
    this._dropKeptMessages();
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  get stats(): NetworkLinkStats {
    const nowNs = this.nowNs;
    const elapsed = nowNs - this.statsSinceNs;
    // busyNs runs to the end of the last transmission, which may lie ahead of now.
    const busy = this.busyNs - Math.max(0, this.wireFreeNs - nowNs);
    return {
      messagesSent: this.sent,
      messagesDropped: this.dropped,
      bytesSent: this.bytes,
      utilization: elapsed > 0 ? Math.min(1, busy / elapsed) : 0,
    };
  }

  /**
   * Counts restart now; the transmission under way at the reset counts only its part after it,
   * so utilization covers [reset, now].
   */
  protected override onResetStats(): void {
    this.sent = 0;
    this.dropped = 0;
    this.bytes = 0;
    this.lostToCrash = 0;
    this.busyNs = Math.max(0, this.wireFreeNs - this.nowNs);
  }
}

function validateLinkOptions(name: string, options: NetworkLinkOptions) {
  const component = `NetworkLink "${name}"`;
  const latency = requireDistribution(component, "latency", options?.latency);
  const jitter =
    options.jitter === undefined ? null : requireDistribution(component, "jitter", options.jitter);
  const bandwidthBps =
    options.bandwidthBps === undefined
      ? null
      : checkParam(
          component,
          "bandwidthBps",
          options.bandwidthBps,
          "bits per second > 0",
          (v) => v > 0 && Number.isFinite(v),
        );
  const lossProbability = checkParam(
    component,
    "lossProbability",
    options.lossProbability ?? 0,
    "a probability in [0, 1]",
    (v) => v >= 0 && v <= 1,
  );
  return { latency, jitter, bandwidthBps, lossProbability };
}
