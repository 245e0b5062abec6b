/**
 * What a pipeline stage (`Server`, `ThreadPool` with `next`) shares: waiting for the next
 * stage's answer to one item handed on, as a future listener (no process per item).
 */
import type { FutureListener, SimFuture } from "../../core/future.js";

/** A stage told when the next stage answered (or refused) an item it handed on. */
export interface Stage<Item, Res> {
  _stageAnswered(item: Item, answer: SimFuture<Res>): void;
}

/** Waits for the next stage's answer to one item handed on. */
export class StageAnswer<Item, Res> implements FutureListener {
  constructor(
    readonly stage: Stage<Item, Res>,
    readonly item: Item,
    readonly answer: SimFuture<Res>,
  ) {}

  futureSettled(): void {
    this.stage._stageAnswered(this.item, this.answer);
  }
}
