/**
 * `MultiPaxosLockBackend`: a `DistributedLock`'s lease table replicated by a Multi-Paxos
 * cluster, the twin of `RaftLockBackend`. Each lock server is a `MultiPaxosNode` driving a
 * `LeaseStateMachine`; the backend proposes every lease command to the leader through a
 * `PaxosClient` (not-leader hints, the next server on a timeout, a session so a retry applies
 * once) and answers once the command's slot is chosen and applied. Grants and the token counter
 * survive the crash of any minority of lock servers; with a majority down the client gives up
 * after `maxAttempts` and the service refuses the request "lock service unavailable".
 *
 * @example
 * const backend = new MultiPaxosLockBackend(sim, "lock-servers", { nodes: 3 });
 * const lock = new DistributedLock(sim, "locks", { ttl: 2, backend });
 */
import type { Entity } from "../../core/entity.js";
import type { Simulation } from "../../core/simulation.js";
import { MultiPaxosNode, type MultiPaxosNodeOptions } from "../consensus/multiPaxosNode.js";
import { PaxosClient, type PaxosKVClientOptions } from "../consensus/paxosKVClient.js";
import type { Network } from "../network/network.js";
import type { LeaseCommand, LeaseResult } from "./leaseTable.js";
import {
  checkReplicatedOptions,
  defaultLockNetwork,
  ReplicatedLockBackend,
} from "./replicatedLockBackend.js";

export type MultiPaxosLockNodeOptions = Omit<
  MultiPaxosNodeOptions<LeaseCommand, LeaseResult>,
  "members" | "stateMachine"
>;

export interface MultiPaxosLockBackendOptions {
  /** Lock servers in the Multi-Paxos cluster (integer >= 1). Default 3. */
  nodes?: number;
  /** Every lock server's options (heartbeat, election timeout, sync latency, ...). */
  node?: MultiPaxosLockNodeOptions;
  /** How the service asks the cluster (attempt timeout, attempts, backoff). */
  client?: Omit<PaxosKVClientOptions, "nodes">;
  /**
   * The network the servers and the service's client talk over. Default: a new one named
   * `${name}-net` with a datacenter link.
   */
  network?: Network;
}

export class MultiPaxosLockBackend extends ReplicatedLockBackend {
  readonly kind = "multi-paxos";
  /** The lock servers, named `${name}-1` ... `${name}-n`. */
  readonly nodes: readonly MultiPaxosNode<LeaseCommand, LeaseResult>[];
  readonly network: Network;
  /** The entity that proposes the service's commands (named `${name}-client`). */
  readonly client: PaxosClient<LeaseCommand, LeaseResult>;

  constructor(sim: Simulation, name: string, options: MultiPaxosLockBackendOptions = {}) {
    const count = checkReplicatedOptions(`MultiPaxosLockBackend "${name}"`, options);
    super(count);
    this.network = options.network ?? defaultLockNetwork(sim, name);
    const members = Array.from({ length: count }, (_, i) => `${name}-${i + 1}`);
    this.nodes = members.map(
      (member, i) =>
        new MultiPaxosNode(sim, member, {
          ...(options.node ?? {}),
          members,
          stateMachine: this.machines[i]!,
        }),
    );
    this.client = new PaxosClient(sim, `${name}-client`, {
      ...(options.client ?? {}),
      nodes: members,
    });
  }

  protected *propose(command: LeaseCommand) {
    return yield* this.client.submit(command);
  }

  protected get proposer(): Entity {
    return this.client;
  }

  protected appliedBy(index: number): number {
    return this.nodes[index]!.appliedCount;
  }
}
