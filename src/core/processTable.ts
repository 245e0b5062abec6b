/**
 * The process table: each live process's hot state in dense typed arrays indexed by a
 * recycled pid, so the loop's fast path (a process in a numeric sleep) resumes a generator
 * without touching the `Process` object. Pids come back through a free list, so the arrays
 * stay at the high-water mark of live processes.
 */
import type { Process } from "./process.js";

const INITIAL_CAPACITY = 1024;

/** Flag bit: the process is a daemon. */
export const PROC_DAEMON = 1;
/** Flag bit: interrupts are pending. Any flag set sends the process down the slow path. */
export const PROC_INTERRUPTED = 2;

export class ProcessTable {
  /** The process of each pid (null once released). */
  obj: Process<unknown>[] = [];
  /** Queue token of the event that next resumes the process, or -1. */
  wake = new Float64Array(INITIAL_CAPACITY);
  /** Id of the message whose handling started the process (causality); 0 if none. */
  cause = new Float64Array(INITIAL_CAPACITY);
  /** Origin (ns) of the chain that started the process; -1 if none. */
  origin = new Float64Array(INITIAL_CAPACITY);
  /** Deadline (ns) of the chain that started the process; Infinity if none. */
  deadline = new Float64Array(INITIAL_CAPACITY);
  /** `PROC_DAEMON` | `PROC_INTERRUPTED`. */
  flags = new Uint8Array(INITIAL_CAPACITY);
  private free = new Int32Array(INITIAL_CAPACITY);
  private freeTop = 0;

  /** Gives `process` a pid and its row. */
  register(
    process: Process<unknown>,
    causeId: number,
    originNs: number,
    deadlineNs: number,
    daemon: boolean,
  ): number {
    let pid: number;
    if (this.freeTop > 0) {
      pid = this.free[--this.freeTop]!;
      this.obj[pid] = process;
    } else {
      pid = this.obj.length;
      if (pid === this.wake.length) this.grow(pid * 2);
      this.obj.push(process);
    }
    this.wake[pid] = -1;
    this.cause[pid] = causeId;
    this.origin[pid] = originNs;
    this.deadline[pid] = deadlineNs;
    this.flags[pid] = daemon ? PROC_DAEMON : 0;
    return pid;
  }

  /** A finished process gives its pid back. */
  release(pid: number): void {
    this.obj[pid] = null as unknown as Process<unknown>;
    this.free[this.freeTop++] = pid;
  }

  private grow(capacity: number): void {
    const free = new Int32Array(capacity);
    free.set(this.free);
    this.free = free;
    const wake = new Float64Array(capacity);
    wake.set(this.wake);
    this.wake = wake;
    const cause = new Float64Array(capacity);
    cause.set(this.cause);
    this.cause = cause;
    const origin = new Float64Array(capacity);
    origin.set(this.origin);
    this.origin = origin;
    const deadline = new Float64Array(capacity);
    deadline.set(this.deadline);
    this.deadline = deadline;
    const flags = new Uint8Array(capacity);
    flags.set(this.flags);
    this.flags = flags;
  }
}
