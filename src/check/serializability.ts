/**
 * A serializability check by search: is there an order of the committed transactions which,
 * run one after another from the initial state, gives every transaction the values it read
 * and ends in the final state? (View serializability over the values: the definition itself,
 * for a handful of transactions, where a dependency-graph check would need the versions each
 * read came from.) A depth-first search that places a transaction only where its reads match
 * the state so far; at most `MAX_SERIAL_ORDER_TRANSACTIONS`, since the worst case is every order.
 */
import { ConfigError } from "../errors/errors.js";

/** One committed transaction: what it read (first reads) and what it wrote (undefined: deleted). */
export interface CommittedTransaction<V> {
  readonly readSet: ReadonlyMap<string, V | undefined>;
  readonly writeSet: ReadonlyMap<string, V | undefined>;
}

/** The most transactions `findSerialOrder` takes (n! orders in the worst case). */
export const MAX_SERIAL_ORDER_TRANSACTIONS = 9;

/**
 * Indexes into `transactions` in an order that explains every read and the final state, or
 * null if none does. `initial` and `final` map keys to values (a missing key is undefined); only
 * the keys the transactions touch are compared at the end. `equals` compares values (default
 * `Object.is`).
 */
export function findSerialOrder<V>(
  transactions: readonly CommittedTransaction<V>[],
  initial: ReadonlyMap<string, V>,
  final: ReadonlyMap<string, V | undefined>,
  equals: (a: V | undefined, b: V | undefined) => boolean = Object.is,
): number[] | null {
  if (!Array.isArray(transactions) || transactions.length > MAX_SERIAL_ORDER_TRANSACTIONS) {
    throw new ConfigError(
      "findSerialOrder",
      "transactions",
      `an array of at most ${MAX_SERIAL_ORDER_TRANSACTIONS} transactions`,
      Array.isArray(transactions) ? `${transactions.length} transactions` : transactions,
    );
  }
  const touched = new Set<string>();
  for (const tx of transactions) {
    for (const key of tx.readSet.keys()) touched.add(key);
    for (const key of tx.writeSet.keys()) touched.add(key);
  }
  const state = new Map<string, V | undefined>();
  for (const key of touched) state.set(key, initial.get(key));
  const used = new Array<boolean>(transactions.length).fill(false);
  const order: number[] = [];

  const search = (): boolean => {
    if (order.length === transactions.length) {
      for (const key of touched) if (!equals(state.get(key), final.get(key))) return false;
      return true;
    }
    for (let i = 0; i < transactions.length; i++) {
      if (used[i]) continue;
      const tx = transactions[i]!;
      let readsMatch = true;
      for (const [key, value] of tx.readSet) {
        if (!equals(state.get(key), value)) {
          readsMatch = false;
          break;
        }
      }
      if (!readsMatch) continue;
      const before: [string, V | undefined][] = [];
      for (const [key, value] of tx.writeSet) {
        before.push([key, state.get(key)]);
        state.set(key, value);
      }
      used[i] = true;
      order.push(i);
      if (search()) return true;
      order.pop();
      used[i] = false;
      for (let j = before.length - 1; j >= 0; j--) state.set(before[j]![0], before[j]![1]);
    }
    return false;
  };
  return search() ? order : null;
}
