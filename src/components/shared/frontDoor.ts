/**
 * `FrontDoor`: the books of a component's front door (`PrimaryBackupReplication`,
 * `MultiLeaderReplication`): the entity that takes requests as messages or as process calls
 * and serves each by asking one of its nodes. Every count moves with another, so
 * `requests = completed + failed + rejected + lostToCrash + active` holds at every instant:
 * a request refused while the door is down is `rejected`; one in progress when the door
 * crashes is `lostToCrash` (its caller's future is rejected with "front door crashed"); a
 * statistics reset counts the requests still in progress as requests again.
 *
 * Built with its owner, it registers itself as a lifecycle hook of that entity, so the owner
 * writes no crash or reset code for its requests. The owner supplies the serving (a generator
 * that asks a node and returns the answer, or throws a `RemoteError` for a failure).
 *
 * Not exported from the package: components are built from it.
 */
import type { Entity, LifecycleHook } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import { RemoteError, SimulationError } from "../../errors/errors.js";

/** How one request is served: asks a node, returns its answer or throws a `RemoteError`. */
export type Serving<R> = Generator<SimFuture<unknown>, R, unknown>;

/** The front door's counts, as the owner reports them first in its `stats`. */
export interface FrontDoorCounts {
  /** Requests taken (messages and process calls), plus those in progress at a statistics reset. */
  readonly requests: number;
  /** Answered. */
  readonly completed: number;
  /** Refused by the node asked, or not answered in time. */
  readonly failed: number;
  /** Process calls refused because the front door was down. */
  readonly rejected: number;
  /** In progress when the front door crashed. */
  readonly lostToCrash: number;
  /** In progress now. */
  readonly active: number;
}

export class FrontDoor<R> implements LifecycleHook {
  requests = 0;
  completed = 0;
  failed = 0;
  rejected = 0;
  lostToCrash = 0;
  /** Requests taken on and not settled yet. */
  active = 0;
  /** The futures of process calls in progress, rejected if the owner crashes. */
  private readonly calls = new Set<SimFuture<R>>();

  constructor(private readonly owner: Entity<unknown, R>) {
    owner.addLifecycleHook(this);
  }

  /** A snapshot of the counts (for `stats`; allocates, so not for a per-request path). */
  counts(): FrontDoorCounts {
    return {
      requests: this.requests,
      completed: this.completed,
      failed: this.failed,
      rejected: this.rejected,
      lostToCrash: this.lostToCrash,
      active: this.active,
    };
  }

  /**
   * A process call: a future settled by `serving` (run as a process of the owner named `kind`),
   * or rejected at once when the owner is down.
   */
  submit(kind: string, serving: Serving<R>): SimFuture<R> {
    const owner = this.owner;
    const future = owner.future<R>(`${kind} on ${owner.name}`);
    this.requests++;
    if (!owner.isUp) {
      this.rejected++;
      future.reject(new RemoteError("front door is down", owner.name));
      return future;
    }
    this.active++;
    this.calls.add(future);
    owner.start(this.settle(serving, future), { name: kind });
    return future;
  }

  private *settle(serving: Serving<R>, future: SimFuture<R>) {
    let result: R;
    try {
      result = yield* serving;
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
      this.active--;
      this.failed++;
      this.calls.delete(future);
      future.reject(error);
      return;
    }
    this.active--;
    this.completed++;
    this.calls.delete(future);
    future.resolve(result);
  }

  /** A request that came as a message: answered with what `serving` returns, or failed. */
  *answer(message: Message<unknown>, serving: Serving<R>): Generator<SimFuture<unknown>, void> {
    this.requests++;
    this.active++;
    try {
      const result = yield* serving;
      this.active--;
      this.completed++;
      this.owner.reply(message, result);
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
      this.active--;
      this.failed++;
      this.owner.fail(message, error.reason);
    }
  }

  onCrash(): void {
    this.lostToCrash += this.active;
    this.active = 0;
    const calls = [...this.calls];
    this.calls.clear();
    for (const future of calls)
      future.reject(new RemoteError("front door crashed", this.owner.name));
  }

  onResetStats(): void {
    this.requests = this.active;
    this.completed = 0;
    this.failed = 0;
    this.rejected = 0;
    this.lostToCrash = 0;
  }
}

/** The node of `owner` named `name`, or a `SimulationError` listing the names it has. */
export function nodeNamed<N extends Entity<never, unknown>>(
  owner: Entity<never, unknown>,
  nodes: readonly N[],
  name: string,
): N {
  const node = nodes.find((n) => n.name === name);
  if (node === undefined) {
    const names = nodes.map((n) => n.name).join(", ");
    throw new SimulationError(
      `${owner.name}: no node named ${JSON.stringify(name)} (its nodes: ${names})`,
      owner.name,
      owner.nowNs,
    );
  }
  return node;
}
