/**
 * What a disk answers when an operation fails: modelled outcomes, thrown at the `yield` of the
 * process that waited, like a call's `RemoteError` (which they extend, so code that already
 * treats a refusal as an outcome treats a disk's the same way).
 */
import { RemoteError } from "../../errors/errors.js";

/**
 * Why a disk operation failed: the disk was down when asked ("down"), crashed while the
 * operation ran ("crashed"), had no room for a write ("full", ENOSPC), failed a read ("io",
 * EIO), or read a record whose checksum does not match ("checksum").
 */
export type DiskErrorCode = "down" | "crashed" | "full" | "io" | "checksum";

/** A disk operation failed; `code` says why, `entity` names the disk. */
export class DiskError extends RemoteError {
  override name = "DiskError";
  constructor(
    readonly code: DiskErrorCode,
    disk: string,
    reason: string,
  ) {
    super(reason, disk);
  }
}

/** A write found the disk full (its `capacityBytes`, or a `fill()` fault): ENOSPC. */
export class DiskFullError extends DiskError {
  override name = "DiskFullError";
  constructor(disk: string, reason: string) {
    super("full", disk, reason);
  }
}

/**
 * A read found a record whose checksum does not match: torn by a crash in the middle of its
 * write, or corrupted on the medium. Only records written with a checksum are checked; the
 * others read back silently wrong (counted in the disk's `silentCorruptions`).
 */
export class ChecksumError extends DiskError {
  override name = "ChecksumError";
  constructor(
    disk: string,
    /** The file and the record's index in it. */
    readonly file: string,
    readonly index: number,
    /** What damaged it: a torn write or corruption on the medium. */
    readonly damage: "torn" | "corrupt",
  ) {
    super("checksum", disk, `checksum mismatch in ${file}[${index}] (${damage})`);
  }
}
