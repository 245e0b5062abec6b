/**
 * A push consumer for the messaging specs: works `work` seconds on each delivery, records that
 * it processed it (an effect outside the queue, like a row written), waits `ackAfter` seconds
 * (the window in which a crash loses the ack), then acks, or rejects what `decide` says.
 */
import { type Delivery, Entity, type Message } from "../../../src/index.js";

export type Decision = "ack" | "requeue" | "reject" | "ignore";

export class Worker<T = number> extends Entity<Delivery<T>> {
  /** [time, message id, delivery count] per delivery handled. */
  readonly seen: [number, number, number][] = [];
  /** Message ids processed, in order (with repeats). */
  readonly processed: number[] = [];
  /** Deliveries processed whose ack a crash prevented. */
  lostAfterProcessing = 0;
  /** Most deliveries held unsettled at once. */
  maxHeld = 0;
  private held = 0;

  constructor(
    sim: ConstructorParameters<typeof Entity>[0],
    name: string,
    public work: number | ((body: T) => number) = 0.01,
    public ackAfter = 0,
    public decide: (delivery: Delivery<T>) => Decision = () => "ack",
  ) {
    super(sim, name);
  }

  override *handle(message: Message<Delivery<T>>) {
    const delivery = message.payload;
    this.seen.push([this.now, delivery.message.id, delivery.deliveryCount]);
    this.held++;
    this.maxHeld = Math.max(this.maxHeld, this.held);
    let processed = false;
    let settled = false;
    try {
      const work = typeof this.work === "number" ? this.work : this.work(delivery.body);
      if (work > 0) yield work;
      this.processed.push(delivery.message.id);
      processed = true;
      if (this.ackAfter > 0) yield this.ackAfter;
      const decision = this.decide(delivery);
      if (decision === "ack") delivery.ack();
      else if (decision === "requeue") delivery.reject({ requeue: true });
      else if (decision === "reject") delivery.reject();
      settled = decision !== "ignore";
    } finally {
      this.held--;
      if (processed && !settled && !this.isUp) this.lostAfterProcessing++;
    }
  }
}
