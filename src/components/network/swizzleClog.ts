/**
 * `SwizzleClog`: FoundationDB's swizzle-clog, the handle `Network.swizzleClog` returns. It
 * clogs its targets one by one, then unclogs them one by one in another order, so a system
 * sees connectivity degrade and come back piecewise and asymmetrically: the orders a
 * hand-written test never tries (which node hears again first, which messages queue behind
 * which). Each clog is an ordinary `clog` fault with its own handle and counts, opened as part
 * of the swizzle (`faultId` the swizzle's `id`): the swizzle is one fault with one pair of
 * trace records (`fault: "swizzle-clog"`), none of its own when a fault schedule drives it.
 */
import type { Entity } from "../../core/entity.js";
import type { FaultHandle } from "../../core/faultHandle.js";
import type { Simulation } from "../../core/simulation.js";
import type { NetworkFault, NetworkFaultCounts } from "./networkFault.js";

/** @internal What a swizzle needs from its network. */
export interface SwizzleOwner {
  readonly sim: Simulation;
  _clogTarget(target: Entity<never, unknown>): NetworkFault;
  _traceSwizzle(
    id: number,
    phase: "activated" | "healed",
    targets: readonly string[],
    detail: string,
  ): void;
}

/** Named, so the trace's timer record says what the timer was for. */
function swizzleStep(swizzle: SwizzleClog): void {
  swizzle._step();
}

export class SwizzleClog implements FaultHandle {
  /** What it is, as in its trace records. */
  readonly kind = "swizzle-clog";
  private readonly clogByTarget = new Map<Entity<never, unknown>, NetworkFault>();
  private readonly clogList: NetworkFault[] = [];
  /** Steps taken: clogs first (0 .. n-1), then unclogs (n .. 2n-1). */
  private steps = 0;
  private timer = -1;
  private isActive = true;
  private readonly targetNames: readonly string[];
  /** Part of a driven fault (a schedule's swizzle-clog), whose driver writes the records. */
  private readonly partOfAnother: boolean;

  /** @internal Built by `Network.swizzleClog` only; clogs its first target at once. */
  constructor(
    private readonly owner: SwizzleOwner,
    /** The swizzle's id in the trace stream (its clogs have their own). */
    readonly id: number,
    /** The targets in the order they are clogged. */
    readonly clogOrder: readonly Entity<never, unknown>[],
    /** The targets in the order they are unclogged (differs from `clogOrder` for 2 or more). */
    readonly unclogOrder: readonly Entity<never, unknown>[],
    private readonly intervalSeconds: number,
    private readonly holdForSeconds: number,
  ) {
    this.targetNames = clogOrder.map((target) => target.name);
    this.partOfAnother = owner.sim._faultDriven(id);
    const order = (list: readonly Entity<never, unknown>[]) => list.map((e) => e.name).join(", ");
    this.trace(
      "activated",
      `clog ${order(clogOrder)} every ${intervalSeconds}s; ${holdForSeconds}s after the last, unclog ${order(unclogOrder)} every ${intervalSeconds}s`,
    );
    this._step();
  }

  /** The same as `id` (the name every `FaultHandle` has): its clogs' and its records' id. */
  get faultId(): number {
    return this.id;
  }

  /** Names of its targets, in the order they are clogged, as in its trace records. */
  get targets(): readonly string[] {
    return this.targetNames;
  }

  /** True until every target is unclogged (or `heal()`). */
  get active(): boolean {
    return this.isActive;
  }

  /** The clogs so far, in the order they began. */
  get clogs(): readonly NetworkFault[] {
    return this.clogList.slice();
  }

  /** What its clogs did, summed. */
  get counts(): NetworkFaultCounts {
    let held = 0;
    for (const clog of this.clogList) held += clog.counts.held;
    return { dropped: 0, duplicated: 0, delayed: 0, reordered: 0, held };
  }

  /** Messages its clogs hold now. */
  get heldNow(): number {
    let held = 0;
    for (const clog of this.clogList) held += clog.heldNow;
    return held;
  }

  /** Unclogs everything still clogged now, in the unclog order, and stops. */
  heal(): void {
    if (!this.isActive) return;
    if (this.timer >= 0) this.owner.sim.cancel(this.timer);
    this.timer = -1;
    for (const target of this.unclogOrder) this.clogByTarget.get(target)?.heal();
    this.finish();
  }

  /** @internal The next clog or unclog, then the timer for the one after. */
  _step(): void {
    this.timer = -1;
    const n = this.clogOrder.length;
    const step = this.steps++;
    if (step < n) {
      const target = this.clogOrder[step]!;
      const clog = this.owner.sim._asPartOfFault(this.id, () => this.owner._clogTarget(target));
      this.clogByTarget.set(target, clog);
      this.clogList.push(clog);
    } else {
      this.clogByTarget.get(this.unclogOrder[step - n]!)!.heal();
    }
    if (step === 2 * n - 1) {
      this.finish();
      return;
    }
    const wait = step === n - 1 ? this.holdForSeconds : this.intervalSeconds;
    this.timer = this.owner.sim.after(wait, swizzleStep, this);
  }

  private finish(): void {
    this.isActive = false;
    this.trace("healed", `held ${this.counts.held} messages`);
  }

  private trace(phase: "activated" | "healed", detail: string): void {
    if (!this.partOfAnother) this.owner._traceSwizzle(this.id, phase, this.targetNames, detail);
  }
}
