/**
 * `RecordingCaller`: the examples' way to turn each arrival from a `Source` into one call and
 * keep what happened to it, by arrival time: its latency, or null if the target refused it.
 * (A `Client` keeps latency by completion time; tables "by arrival window" need this.)
 */
import { Entity, type Message, RemoteError, type Simulation } from "distsim";

export interface CallOutcome {
  /** When the request arrived, in seconds. */
  readonly at: number;
  /** Seconds to the answer, or null when the target refused the request. */
  readonly latency: number | null;
}

export class RecordingCaller extends Entity<number> {
  readonly outcomes: CallOutcome[] = [];

  constructor(
    sim: Simulation,
    private readonly target: Entity<number, number>,
    name = "caller",
  ) {
    super(sim, name);
  }

  override *handle(arrival: Message<number>) {
    const at = this.now;
    try {
      yield* this.call(this.target, "get", arrival.payload);
      this.outcomes.push({ at, latency: this.now - at });
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
      this.outcomes.push({ at, latency: null });
    }
  }
}
