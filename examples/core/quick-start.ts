/**
 * Quick start: the model from README.md, kept identical to it by test/readme.test.ts.
 * A client makes three calls to a server whose handler is a process.
 *
 * Run: npx tsx --conditions=distsim-source examples/core/quick-start.ts
 */
import { Entity, type Message, Simulation } from "distsim";

class Server extends Entity<string, string> {
  private readonly service = this.random("service");
  override *handle(request: Message<string>) {
    yield this.service.exponential(0.1); // mean 100 ms of work
    this.reply(request, `done: ${request.payload}`);
  }
}

class Client extends Entity {
  constructor(
    sim: Simulation,
    private readonly server: Server,
  ) {
    super(sim, "client");
    this.start(this.work);
  }
  private *work() {
    for (let i = 0; i < 3; i++) {
      const answer = yield* this.call(this.server, "job", `job ${i}`, { timeout: 1 });
      console.log(`${this.now.toFixed(3)}s ${answer}`);
    }
  }
}

const sim = new Simulation({ seed: 42 });
new Client(sim, new Server(sim, "server"));
const summary = sim.run();
console.log(summary.eventsProcessed, summary.traceHash);
