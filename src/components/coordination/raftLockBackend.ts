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
import type { Entity } from "../../core/entity.js";
import type { Simulation } from "../../core/simulation.js";
import { RaftClient, type RaftKVClientOptions } from "../consensus/raftKV.js";
import { RaftNode, type RaftNodeOptions } from "../consensus/raftNode.js";
import type { Network } from "../network/network.js";
import type { LeaseCommand, LeaseResult } from "./leaseTable.js";
import {
  checkReplicatedOptions,
  defaultLockNetwork,
  ReplicatedLockBackend,
} from "./replicatedLockBackend.js";

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

export class RaftLockBackend extends ReplicatedLockBackend {
  readonly kind = "raft";
  /** The lock servers, named `${name}-1` ... `${name}-n`. */
  readonly nodes: readonly RaftNode<LeaseCommand, LeaseResult>[];
  readonly network: Network;
  /** The entity that proposes the service's commands (named `${name}-client`). */
  readonly client: RaftClient<LeaseCommand, LeaseResult>;

  constructor(sim: Simulation, name: string, options: RaftLockBackendOptions = {}) {
    const where = `RaftLockBackend "${name}"`;
    const count = checkReplicatedOptions(where, options);
    super(count);
    this.network = options.network ?? defaultLockNetwork(sim, name);
    const members = Array.from({ length: count }, (_, i) => `${name}-${i + 1}`);
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

  protected *propose(command: LeaseCommand) {
    return yield* this.client.submit("propose", command);
  }

  protected get proposer(): Entity {
    return this.client;
  }

  protected appliedBy(index: number): number {
    return this.nodes[index]!.applied;
  }
}
