/**
 * The replicated-state-machine contract every consensus protocol here drives (`RaftNode`, the
 * Paxos family): the protocol agrees on an order of commands, and each replica applies them, in
 * that order, to its own state machine. A state machine is plain deterministic code (no
 * simulated time, no randomness): the same commands in the same order give the same results on
 * every replica, which is what makes the replicas agree.
 *
 * Snapshots let a protocol cut its log: `snapshot()` returns the state as plain data (it is
 * stored and sent, so it must not share mutable structure with the machine), `restore(s)`
 * replaces the state with it.
 */

/** A deterministic state machine that a consensus protocol replicates. */
export interface StateMachine<Command, Result> {
  /** Applies one committed command and returns its result (sent back to the client that proposed it). */
  apply(command: Command): Result;
  /** The whole state as plain data, for a snapshot (a copy: later applies must not change it). */
  snapshot(): unknown;
  /** Replaces the state with a snapshot's (one `snapshot()` returned). */
  restore(snapshot: unknown): void;
}

/** A command of the key-value state machine. */
export type KVCommand<V> =
  | { readonly op: "get"; readonly key: string }
  | { readonly op: "put"; readonly key: string; readonly value: V }
  | { readonly op: "delete"; readonly key: string }
  | {
      readonly op: "cas";
      readonly key: string;
      readonly expected: V | undefined;
      readonly value: V;
    };

/** A result of the key-value state machine: a get's value, a cas's success, a delete's "was there". */
export type KVResult<V> = V | boolean | undefined;

/**
 * A key-value map as a state machine: the one a linearizable store on a consensus protocol
 * replicates (and that the linearizability checker's `kv` model describes). Values are compared
 * by identity in `cas` (use strings or numbers). A get goes through the log like a write when a
 * protocol has no read index or lease.
 */
export class KVStateMachine<V> implements StateMachine<KVCommand<V>, KVResult<V>> {
  private entries = new Map<string, V>();

  apply(command: KVCommand<V>): KVResult<V> {
    switch (command.op) {
      case "get":
        return this.entries.get(command.key);
      case "put":
        this.entries.set(command.key, command.value);
        return undefined;
      case "delete":
        return this.entries.delete(command.key);
      case "cas": {
        if (this.entries.get(command.key) !== command.expected) return false;
        this.entries.set(command.key, command.value);
        return true;
      }
    }
  }

  /** The value under `key` now (a read that does not go through the protocol: not linearizable). */
  peek(key: string): V | undefined {
    return this.entries.get(key);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Entries in insertion order (a Map's order is deterministic: the order keys were first set). */
  snapshot(): readonly (readonly [string, V])[] {
    return [...this.entries];
  }

  restore(snapshot: unknown): void {
    this.entries = new Map(snapshot as readonly (readonly [string, V])[]);
  }
}
