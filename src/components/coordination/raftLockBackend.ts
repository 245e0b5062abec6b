/**
 * `RaftLockBackend`: a `DistributedLock`'s lease table replicated by a Raft cluster. Each lock
 * server is a `RaftNode` driving a `LeaseStateMachine`; the backend proposes every lease command
 * through the leader (a `RaftClient`: it finds the leader, follows redirects, retries with a
 * session so a retried command applies once) and answers with the command's result once it is
 * committed and applied. A grant is thus on a majority's disks before the holder hears of it,
 * so grants and the token counter survive the crash of any minority of lock servers: a new
 * leader's table holds every grant an old one answered, and its next token is larger.
 *
 * The service stays one entity (its clock stamps every command's `now`, so leases expire by one
 * clock whichever server leads); only the table is replicated. Commands go through the log one
 * at a time (a Raft session is a sequence), in the order the service asks. When no leader
 * commits within the client's `giveUpAfter`, `apply` throws and the service refuses the request
 * as "lock service unavailable" (a timed-out command may still apply later: the holder of such
 * a grant never heard of it, and its lease simply expires).
 *
 * @example
 * const backend = new RaftLockBackend(sim, "lock-servers", { nodes: 3 });
 * const lock = new DistributedLock(sim, "locks", { ttl: 2, backend });
 */
import type { SimFuture } from "../../core/future.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";
import { RaftClient, type RaftKVClientOptions } from "../consensus/raftKV.js";
import { RaftNode, type RaftNodeOptions } from "../consensus/raftNode.js";
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

export type RaftLockNodeOptions = Omit<
  RaftNodeOptions<LeaseCommand, LeaseResult>,
  "members" | "stateMachine"
>;

export interface RaftLockBackendOptions {
  /** Lock servers in the Raft cluster (integer >= 1). Default 3. */
  nodes?: number;
  /** Every lock server's options (election timeouts, disk, clock, ...). */
  node?: RaftLockNodeOptions;
  /** How the service asks the cluster (timeouts, backoff). */
  client?: RaftKVClientOptions;
  /**
   * The network the servers and the service's client talk over. Default: a new one named
   * `${name}-net` with a datacenter link.
   */
  network?: Network;
}

export class RaftLockBackend implements LockBackend {
  readonly kind = "raft";
  /** The lock servers, named `${name}-1` ... `${name}-n`. */
  readonly nodes: readonly RaftNode<LeaseCommand, LeaseResult>[];
  readonly network: Network;
  /** The entity that proposes the service's commands (named `${name}-client`). */
  readonly client: RaftClient<LeaseCommand, LeaseResult>;
  private readonly machines: readonly LeaseStateMachine[];
  /** Whether a command is in the log's hands now; later ones wait their turn in `line`. */
  private busy = false;
  private readonly line: SimFuture<void>[] = [];

  constructor(sim: Simulation, name: string, options: RaftLockBackendOptions = {}) {
    const where = `RaftLockBackend "${name}"`;
    if (typeof options !== "object" || options === null) {
      throw new ConfigError(where, "options", "an object", options);
    }
    const count = requireInteger(where, "nodes", options.nodes ?? 3, 1);
    if (options.network !== undefined && !(options.network instanceof Network)) {
      throw new ConfigError(where, "network", "a Network", options.network);
    }
    if (options.node !== undefined && (typeof options.node !== "object" || options.node === null)) {
      throw new ConfigError(where, "node", "an object of RaftNode options", options.node);
    }
    if (
      options.client !== undefined &&
      (typeof options.client !== "object" || options.client === null)
    ) {
      throw new ConfigError(where, "client", "an object of client options", options.client);
    }
    this.network =
      options.network ??
      new Network(sim, `${name}-net`, {
        defaultLink: new NetworkLink(sim, `${name}-link`, conditions.datacenter()),
      });
    const members = Array.from({ length: count }, (_, i) => `${name}-${i + 1}`);
    this.machines = members.map(() => new LeaseStateMachine());
    this.nodes = members.map(
      (member, i) =>
        new RaftNode(sim, member, {
          ...(options.node ?? {}),
          members,
          stateMachine: this.machines[i]!,
        }),
    );
    this.client = new RaftClient(sim, `${name}-client`, this.nodes, options.client ?? {});
  }

  *apply(command: LeaseCommand): Generator<SimFuture<unknown>, LeaseResult, unknown> {
    if (this.busy) {
      const turn = this.client.future<void>("lock command's turn");
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
      return yield* this.client.submit("propose", command);
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
    for (let i = 1; i < this.nodes.length; i++) {
      if (this.nodes[i]!.applied > this.nodes[best]!.applied) best = i;
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
