/**
 * `HashRing`: a consistent-hash ring. Each member owns `virtualNodes` points, hashed from its
 * name, and a key goes to the owner of the first point at or after the key's hash (clockwise,
 * wrapping past the last point). Adding or removing one of n members moves only the keys of
 * the arcs it gains or loses, about 1/n of them; more virtual nodes even out the shares.
 *
 * One ring for every component that places keys on members: the load balancer's
 * `strategy.consistentHash` and the store family's `consistentHashSharding` build the same
 * ring from the same names, so a key lands on the same-named member in both.
 *
 * Every hash is MurmurHash3 of a string with a fixed seed (`src/random/hash.ts`), and equal
 * points (rare) are ordered by member name, then virtual node: the ring depends on the members'
 * names only, not on the order they were added, and is the same on every platform.
 *
 * Not exported from the package: components are built from it.
 */
import { hashString } from "../../random/hash.js";

/** Seed of every ring and strategy hash: fixed, so a key maps the same way in every run and version. */
export const RING_HASH_SEED = 0x5eed1b;

/** The ring position of `key`. */
export function ringHash(key: string): number {
  return hashString(key, RING_HASH_SEED);
}

export class HashRing {
  private points = new Uint32Array(0);
  private owners = new Int32Array(0);

  /** @param virtualNodes points per member (an integer >= 1, checked by the caller) */
  constructor(readonly virtualNodes: number) {}

  /** Points on the ring: members x virtual nodes. */
  get size(): number {
    return this.points.length;
  }

  /** Rebuilds the ring for `names` (a member's index is its index in `names`). */
  rebuild(names: readonly string[]): void {
    const virtualNodes = this.virtualNodes;
    const count = names.length * virtualNodes;
    const pointOf = new Uint32Array(count);
    const order: number[] = [];
    for (let b = 0; b < names.length; b++) {
      const name = names[b]!;
      for (let v = 0; v < virtualNodes; v++) {
        pointOf[b * virtualNodes + v] = hashString(`${name}#${v}`, RING_HASH_SEED);
        order.push(b * virtualNodes + v);
      }
    }
    order.sort((x, y) => {
      const byPoint = pointOf[x]! - pointOf[y]!;
      if (byPoint !== 0) return byPoint;
      const nameX = names[Math.floor(x / virtualNodes)]!;
      const nameY = names[Math.floor(y / virtualNodes)]!;
      if (nameX !== nameY) return nameX < nameY ? -1 : 1;
      return (x % virtualNodes) - (y % virtualNodes);
    });
    const points = new Uint32Array(count);
    const owners = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      points[i] = pointOf[order[i]!]!;
      owners[i] = Math.floor(order[i]! / virtualNodes);
    }
    this.points = points;
    this.owners = owners;
  }

  /** The index of the first point >= `hash` (binary search); `size` when past the last. */
  firstPointAt(hash: number): number {
    const points = this.points;
    let low = 0;
    let high = points.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (points[mid]! < hash) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The member owning point `index`, counted clockwise and wrapping (any index >= 0). */
  ownerAt(index: number): number {
    return this.owners[index % this.owners.length]!;
  }

  /** The member owning `hash`: the owner of the first point at or after it; -1 on an empty ring. */
  ownerOf(hash: number): number {
    return this.owners.length === 0 ? -1 : this.ownerAt(this.firstPointAt(hash));
  }
}
