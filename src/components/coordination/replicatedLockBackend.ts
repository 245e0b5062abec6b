/**
 * What the lock backends on a consensus log share (`RaftLockBackend`, `MultiPaxosLockBackend`):
 * each lock server replicates a `LeaseStateMachine`, and the service's commands go through the
 * log one at a time, in the order it asks, because a consensus session is a sequence (a node
 * answers a retry of an older step with the session's latest result). A subclass says only how
 * to propose one command and which replicas there are.
 */
import type { Entity } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Yieldable } from "../../core/process.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";
import * as conditions from "../network/conditions.js";
import { Network } from "../network/network.js";
import { NetworkLink } from "../network/networkLink.js";
import { requireInteger } from "../shared/validate.js";
import {
  type LeaseCommand,
  type LeaseResult,
  LeaseStateMachine,
  type LockBackend,
} from "./leaseTable.js";

/** The options every replicated backend takes (what each server and its client take differs). */
interface ReplicatedOptions {
  readonly nodes?: number;
  readonly node?: object;
  readonly client?: object;
  readonly network?: Network;
}

/** Checks the shared options before anything registers; returns the server count. */
export function checkReplicatedOptions(where: string, options: ReplicatedOptions): number {
  if (typeof options !== "object" || options === null) {
    throw new ConfigError(where, "options", "an object", options);
  }
  const count = requireInteger(where, "nodes", options.nodes ?? 3, 1);
  if (options.network !== undefined && !(options.network instanceof Network)) {
    throw new ConfigError(where, "network", "a Network", options.network);
  }
  for (const key of ["node", "client"] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== "object" || value === null)) {
      throw new ConfigError(where, key, "an object of options", value);
    }
  }
  return count;
}

/** A backend's own network when none is given: `${name}-net`, a datacenter link. */
export function defaultLockNetwork(sim: Simulation, name: string): Network {
  return new Network(sim, `${name}-net`, {
    defaultLink: new NetworkLink(sim, `${name}-link`, conditions.datacenter()),
  });
}

export abstract class ReplicatedLockBackend implements LockBackend {
  abstract readonly kind: string;
  /** Each lock server's copy of the table, in the servers' order. */
  protected readonly machines: readonly LeaseStateMachine[];
  /** Whether a command is in the log's hands now; later ones wait their turn in `line`. */
  private busy = false;
  private readonly line: SimFuture<void>[] = [];

  constructor(servers: number) {
    this.machines = Array.from({ length: servers }, () => new LeaseStateMachine());
  }

  /** Proposes `command` through the leader; its result once applied, or throws. */
  protected abstract propose(command: LeaseCommand): Generator<Yieldable, LeaseResult, unknown>;
  /** The entity that proposes (it owns the turns' futures). */
  protected abstract get proposer(): Entity;
  /** How many commands server `index` has applied. */
  protected abstract appliedBy(index: number): number;

  *apply(command: LeaseCommand): Generator<Yieldable, LeaseResult, unknown> {
    if (this.busy) {
      const turn = this.proposer.future<void>("lock command's turn");
      this.line.push(turn);
      let ours = false;
      try {
        yield turn;
        ours = true;
      } finally {
        // The service crashed while this command waited: pass on a turn handed to it, or leave.
        if (!ours) {
          if (turn.isSettled) this.handOn();
          else this.line.splice(this.line.indexOf(turn), 1);
        }
      }
    }
    this.busy = true;
    try {
      return yield* this.propose(command);
    } finally {
      this.handOn();
    }
  }

  /** Gives the log to the next waiting command, in the order they asked. */
  private handOn(): void {
    const next = this.line.shift();
    if (next === undefined) this.busy = false;
    else next.resolve();
  }

  /** The replica that has applied the most: the freshest view of the table. */
  private get freshest(): LeaseStateMachine {
    let best = 0;
    for (let i = 1; i < this.machines.length; i++) {
      if (this.appliedBy(i) > this.appliedBy(best)) best = i;
    }
    return this.machines[best]!;
  }

  heldAt(now: number): number {
    return this.freshest.heldAt(now);
  }

  get tokensGranted(): number {
    return this.freshest.tokensGranted;
  }
}
