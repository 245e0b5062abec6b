/**
 * Store: a bounded buffer between a producer and a consumer is what gives backpressure.
 *
 * Scenario: an ingest stage reads records at 120/s (Poisson) and hands them to an indexer
 * through a buffer; the indexer takes ~10 ms a record, so it keeps up with at most 100/s. The
 * producer runs for 60 s.
 *
 *   - Unbounded buffer (a plain queue): the producer never waits, so the excess 20/s piles up
 *     in the buffer: about 1,300 records held at the end, each waiting longer than the last;
 *     in a real system that is memory growing until the process dies.
 *   - A Store of capacity 50: once it is full, `put` makes the producer wait for a free place,
 *     so the producer slows to the indexer's pace. The buffer never holds more than 50, the
 *     wait inside it stays under a second, and the producer sees the overload as its own
 *     blocked time (it read fewer records), which is where a real system can shed or slow it.
 *
 * Columns: records read and indexed in 60 s, most and mean records held, the longest a record
 * waited in the buffer, and the producer's time blocked on a full buffer.
 *
 * Run: npx tsx --conditions=distsim-source examples/resource/bounded-buffer.ts
 */
import { Entity, Simulation, Store } from "distsim";
import { formatTable } from "../support/table.js";

const SEED = 7;
const READ_RATE = 120;
const INDEX_MEAN_S = 0.01;
const RUN_S = 60;

interface Row {
  capacity: string;
  read: number;
  indexed: number;
  maxHeld: number;
  meanHeld: number;
  maxWaitS: number;
  blockedS: number;
}

function run(capacity: number): Row {
  const sim = new Simulation({ seed: SEED });
  const pipeline = new Entity(sim, "pipeline");
  const buffer = new Store<number>(pipeline, { name: "buffer", capacity });
  const producer = new Entity(sim, "producer");
  const consumer = new Entity(sim, "indexer");
  const arrivals = producer.random("arrivals");
  const service = consumer.random("service");
  let read = 0;
  let indexed = 0;
  let maxHeld = 0;
  let maxWaitS = 0;
  let blockedS = 0;

  producer.start(function* () {
    while (producer.now < RUN_S) {
      yield arrivals.exponential(1 / READ_RATE);
      const asked = producer.now;
      yield* buffer.put(producer.now);
      blockedS += producer.now - asked;
      read++;
      maxHeld = Math.max(maxHeld, buffer.size);
    }
  });
  consumer.start(
    function* () {
      for (;;) {
        const putAt = yield* buffer.get();
        maxWaitS = Math.max(maxWaitS, consumer.now - putAt);
        yield service.exponential(INDEX_MEAN_S);
        indexed++;
      }
    },
    { daemon: true },
  );
  sim.run({ until: RUN_S });
  return {
    capacity: capacity === Number.POSITIVE_INFINITY ? "unbounded" : String(capacity),
    read,
    indexed,
    maxHeld,
    meanHeld: buffer.stats.meanItems,
    maxWaitS,
    blockedS,
  };
}

const rows = [run(Number.POSITIVE_INFINITY), run(50)].map((r) => [
  r.capacity,
  String(r.read),
  String(r.indexed),
  String(r.maxHeld),
  r.meanHeld.toFixed(1),
  r.maxWaitS.toFixed(2),
  r.blockedS.toFixed(1),
]);

console.log(
  `A producer reading ${READ_RATE}/s into a buffer, an indexer taking ~${INDEX_MEAN_S * 1000} ms a record, ${RUN_S} s (seed ${SEED})\n`,
);
console.log(
  formatTable(
    [
      "buffer",
      "read",
      "indexed",
      "max held",
      "mean held",
      "longest wait (s)",
      "producer blocked (s)",
    ],
    rows,
  ),
);
