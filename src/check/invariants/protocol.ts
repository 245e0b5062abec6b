/**
 * Ready-made protocol properties, fed by what a model observes. Each tracker is plain data
 * (no simulation, no events): a component reports what happened (`observe`), and `check()`
 * answers as an invariant predicate does (true, or a message), so it plugs into `always` /
 * `eventually`, or is asked once at the end of a run. A tracker remembers its first violation,
 * so a breach is not forgotten when later observations look fine.
 */
import { ConfigError } from "../../errors/errors.js";
import { showValue, valuesEqual } from "../history/values.js";

/** A check's answer: true, or what is wrong. */
export type CheckResult = true | string;

abstract class Tracker {
  /** The first violation observed, or null. */
  violation: string | null = null;

  /** True, or the first violation observed: an invariant predicate. */
  readonly check = (): CheckResult => this.violation ?? true;

  protected fail(message: string): void {
    if (this.violation === null) this.violation = message;
  }
}

/** At most one leader per term: `observe(term, leader)` whenever a node becomes or acts as leader. */
export class LeaderPerTerm extends Tracker {
  private readonly leaders = new Map<number, string>();

  observe(term: number, leader: string): void {
    if (!Number.isSafeInteger(term)) {
      throw new ConfigError("LeaderPerTerm.observe", "term", "an integer", term);
    }
    const known = this.leaders.get(term);
    if (known === undefined) this.leaders.set(term, leader);
    else if (known !== leader) this.fail(`two leaders in term ${term}: ${known} and ${leader}`);
  }

  /** The leader observed for `term`, if any. */
  leaderOf(term: number): string | undefined {
    return this.leaders.get(term);
  }
}

/**
 * Monotonic reads per client: `observe(client, version)` for each read, with the version
 * (a log index, a timestamp, a counter) of what it returned; a client must never see an
 * older version than it saw before. `key` separates independent objects.
 */
export class MonotonicReads extends Tracker {
  private readonly latest = new Map<string, number>();

  observe(client: string, version: number, key = ""): void {
    if (typeof version !== "number" || Number.isNaN(version)) {
      throw new ConfigError("MonotonicReads.observe", "version", "a number", version);
    }
    const slot = key === "" ? client : `${client}\u0000${key}`;
    const seen = this.latest.get(slot);
    if (seen !== undefined && version < seen) {
      const where = key === "" ? "" : ` of ${key}`;
      this.fail(`${client} read version ${version}${where} after version ${seen}`);
      return;
    }
    this.latest.set(slot, version);
  }
}

/**
 * Fencing tokens increase: `observe(resource, token)` for each token a resource (a storage
 * service guarded by a lock) accepts; every accepted token must exceed the last one accepted.
 */
export class FencingTokens extends Tracker {
  private readonly last = new Map<string, number>();

  observe(resource: string, token: number): void {
    if (typeof token !== "number" || Number.isNaN(token)) {
      throw new ConfigError("FencingTokens.observe", "token", "a number", token);
    }
    const previous = this.last.get(resource);
    if (previous !== undefined && token <= previous) {
      this.fail(`${resource} accepted token ${token} after token ${previous}`);
      return;
    }
    this.last.set(resource, token);
  }
}

/**
 * No acknowledged write lost: `acknowledged(key, value)` for each write a client was told
 * succeeded; `check(read)` compares with a final read per key after the run (and after the
 * faults healed). A read returning an array or a Set must contain every acknowledged value
 * (set, append and log semantics); a read returning one value must equal the last value
 * acknowledged for the key (register semantics, for writes acknowledged one at a time).
 */
export class AcknowledgedWrites {
  private readonly writes = new Map<string, unknown[]>();

  acknowledged(key: string, value: unknown): void {
    let values = this.writes.get(key);
    if (values === undefined) {
      values = [];
      this.writes.set(key, values);
    }
    values.push(value);
  }

  /** The keys written, in the order first acknowledged. */
  get keys(): string[] {
    return [...this.writes.keys()];
  }

  /** True, or which acknowledged writes the final reads lost (the first few named). */
  check(read: (key: string) => unknown): CheckResult {
    const lost: string[] = [];
    for (const [key, values] of this.writes) {
      const final = read(key);
      if (Array.isArray(final) || final instanceof Set) {
        const present = [...final];
        for (const value of values) {
          if (!present.some((item) => valuesEqual(item, value))) {
            lost.push(`${key}=${showValue(value)}`);
          }
        }
      } else {
        const last = values[values.length - 1];
        if (!valuesEqual(final, last)) {
          lost.push(`${key}=${showValue(last)} (read ${showValue(final)})`);
        }
      }
    }
    if (lost.length === 0) return true;
    const shown = lost.slice(0, 5).join(", ");
    const more = lost.length > 5 ? ` and ${lost.length - 5} more` : "";
    return `${lost.length} acknowledged write(s) lost: ${shown}${more}`;
  }
}

/**
 * Replicas converge: given a state getter per replica, true when every replica's state equals
 * the first one's (structurally), else which differ. Pass it to `eventually` when the faults
 * heal: `eventually(sim, "converge", replicasConverge(getters), { within: 5 })`.
 */
export function replicasConverge(
  replicas: Readonly<Record<string, () => unknown>>,
): () => CheckResult {
  const names = Object.keys(replicas);
  if (names.length === 0) {
    throw new ConfigError("replicasConverge", "replicas", "at least one state getter", replicas);
  }
  for (const name of names) {
    if (typeof replicas[name] !== "function") {
      throw new ConfigError("replicasConverge", `replicas.${name}`, "a function", replicas[name]);
    }
  }
  return () => {
    const first = replicas[names[0]!]!();
    const differing: string[] = [];
    for (let i = 1; i < names.length; i++) {
      const state = replicas[names[i]!]!();
      if (!valuesEqual(state, first)) differing.push(`${names[i]}=${showValue(state)}`);
    }
    if (differing.length === 0) return true;
    return `replicas differ from ${names[0]}=${showValue(first)}: ${differing.join(", ")}`;
  };
}
