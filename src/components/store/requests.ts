/**
 * The key-value protocol's requests as a store reads them: operation codes for the message
 * kinds, and the checks of each argument, shared by every store of the family so a bad
 * argument fails the same way everywhere: a `SimulationError` naming the entity, the
 * simulated time, the operation and what was given. (A bad argument is a bug in the model, not
 * a modelled failure: the run stops where it happened.)
 *
 * Internal to the store family.
 */
import type { Entity } from "../../core/entity.js";
import { SimulationError } from "../../errors/errors.js";
import { DEFAULT_SCAN_LIMIT, type ScanRequest } from "./protocol.js";

export const GET = 0;
export const GET_ENTRY = 1;
export const PUT = 2;
export const DELETE = 3;
export const SCAN = 4;
export const INCREMENT = 5;
export type OpCode = 0 | 1 | 2 | 3 | 4 | 5;

const OP_CODES: Readonly<Record<string, OpCode>> = {
  get: GET,
  getEntry: GET_ENTRY,
  put: PUT,
  delete: DELETE,
  scan: SCAN,
  increment: INCREMENT,
};

/** A checked scan range. */
export interface ScanRange {
  readonly from: string;
  readonly to: string | undefined;
  readonly limit: number;
  readonly tombstones: boolean;
}

/** Checks arguments for one store (`api` names its class in messages). */
export class RequestChecks {
  constructor(
    private readonly entity: Entity<never, unknown>,
    private readonly api: string,
  ) {}

  /** The code of a message's kind; a kind outside the protocol fails. */
  opCode(kind: string): OpCode {
    if (!Object.hasOwn(OP_CODES, kind)) {
      throw this.misuse(
        `unknown operation "${kind}" (the key-value protocol's kinds: get, getEntry, put, delete, scan, increment)`,
      );
    }
    return OP_CODES[kind]!;
  }

  /** A message's payload, which must be an object. */
  payload<P>(kind: string, payload: unknown): P {
    if (payload === null || typeof payload !== "object") {
      throw this.misuse(
        `a "${kind}" request's payload must be an object; given ${describe(payload)}`,
      );
    }
    return payload as P;
  }

  key(kind: string, key: unknown): string {
    if (typeof key !== "string") {
      throw this.misuse(`${kind}: the key must be a string; given ${describe(key)}`);
    }
    return key;
  }

  value(value: unknown): void {
    if (value === undefined) {
      throw this.misuse(
        "put: the value must not be undefined (a get answers undefined for a missing key)",
      );
    }
  }

  by(by: unknown): number {
    if (typeof by !== "number" || !Number.isFinite(by)) {
      throw this.misuse(`increment: by must be a finite number; given ${describe(by)}`);
    }
    return by;
  }

  /** A put's or a delete's version: 0 for none. */
  version(version: unknown, kind = "put"): number {
    if (version === undefined) return 0;
    if (!Number.isSafeInteger(version) || (version as number) < 1) {
      throw this.misuse(`${kind}: version must be an integer >= 1; given ${describe(version)}`);
    }
    return version as number;
  }

  /** Whether a getEntry or scan asks for tombstones too. */
  tombstones(tombstones: unknown): boolean {
    if (tombstones === undefined) return false;
    if (typeof tombstones !== "boolean") {
      throw this.misuse(`tombstones must be true or false; given ${describe(tombstones)}`);
    }
    return tombstones;
  }

  /**
   * Whether a delete leaves a tombstone at the store's own next version: `tombstone: true`
   * without a version (`version`: the checked one, 0 for none). A versioned delete always
   * leaves one, so `tombstone: false` beside a version is a contradiction.
   */
  tombstone(tombstone: unknown, version: number): boolean {
    if (tombstone === undefined) return false;
    if (typeof tombstone !== "boolean") {
      throw this.misuse(`delete: tombstone must be true or false; given ${describe(tombstone)}`);
    }
    if (!tombstone && version !== 0) {
      throw this.misuse(
        `delete: a versioned delete always leaves a tombstone; given tombstone false with version ${version}`,
      );
    }
    return tombstone && version === 0;
  }

  scan(range: unknown): ScanRange {
    if (range === null || typeof range !== "object") {
      throw this.misuse(`scan: the range must be an object; given ${describe(range)}`);
    }
    const { from = "", to, limit = DEFAULT_SCAN_LIMIT, tombstones } = range as ScanRequest;
    if (typeof from !== "string" || (to !== undefined && typeof to !== "string")) {
      throw this.misuse(
        `scan: from and to must be strings (or unset); given ${describe(from)} and ${describe(to)}`,
      );
    }
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw this.misuse(`scan: limit must be an integer >= 1; given ${describe(limit)}`);
    }
    return { from, to, limit, tombstones: this.tombstones(tombstones) };
  }

  private misuse(message: string): SimulationError {
    const entity = this.entity;
    return new SimulationError(`${this.api}: ${message}`, entity.name, entity.nowNs);
  }
}

function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}
