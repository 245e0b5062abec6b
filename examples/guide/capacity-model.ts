/**
 * The guide's capacity model as a file for the command line: 4 servers through the evening
 * peak (300 requests/s, 450/s from t = 60 s to 120 s), the count docs/guide.md arrives at.
 *
 * A model file exports its builder (a `ModelBuilder`: seed in, Simulation out) as the default
 * export and its horizon as `until`; `distsim run` builds it, runs it and prints every entity's
 * counters and statistics. It imports "distsim" as any project's model does, so it can be
 * copied out of the repository as it is. The test suite runs it through the built CLI.
 *
 * Run: npx distsim run examples/guide/capacity-model.ts --report capacity.html
 * (the CLI of the last `npm run build`; from the sources without a build:
 * npx tsx --conditions=distsim-source src/cli/main.ts run examples/guide/capacity-model.ts)
 *
 * Its parameters (`--param servers=6 --param peak=600`; defaults 4 and 450) and its `measure`
 * export make it a model for `distsim sweep` too (docs/sweeps.md):
 * npx distsim sweep examples/guide/capacity-model.ts --grid servers=3..6 --grid peak=300..600:150 --replications 10
 */
import {
  arrivals,
  Client,
  conditions,
  dist,
  LoadBalancer,
  type Measure,
  type ModelBuilder,
  Network,
  NetworkLink,
  Probe,
  profile,
  retry,
  Server,
  Simulation,
  Source,
  strategy,
} from "distsim";

/** The guide's answer, and its evening peak in requests per second. */
const SERVERS = 4;
const PEAK = 450;

/** Seconds: the peak ends at 120 s, and the last minute shows the queues drain. */
export const until = 180;

const build: ModelBuilder = ({ seed, params }) => {
  const servers = Number(params.servers ?? SERVERS);
  const peak = Number(params.peak ?? PEAK);
  const sim = new Simulation({ seed });
  new Network(sim, "dc", { defaultLink: new NetworkLink(sim, "dc-link", conditions.datacenter()) });
  const backends = Array.from(
    { length: servers },
    (_, i) =>
      new Server<number, number>(sim, `api-${i}`, {
        concurrency: 8,
        // The last server is an older machine: 50% slower.
        serviceTime: dist.lognormal({ median: i === servers - 1 ? 0.06 : 0.04, sigma: 0.6 }),
        queueCapacity: 100,
      }),
  );
  const balancer = new LoadBalancer<number, number>(sim, "lb", {
    backends,
    strategy: strategy.powerOfTwoChoices(),
  });
  const users = new Client<number, number>(sim, "users", {
    target: balancer,
    timeout: 0.5,
    retryPolicy: retry.exponentialBackoff({ maxAttempts: 3, initial: 0.05, jitter: "full" }),
    retryBudget: { ratio: 0.1 },
  });
  new Source(sim, "traffic", {
    target: users,
    arrivals: arrivals.poisson(
      profile.step(300, [
        { at: 60, value: peak },
        { at: 120, value: 300 },
      ]),
    ),
  });
  // Charted by `--report`: how deep the slow server's line gets at the peak.
  new Probe(sim, "old server queue", {
    read: () => backends[servers - 1]!.queued,
    interval: 1,
    unit: "requests",
  });
  return sim;
};

export default build;

/**
 * What `distsim sweep` measures in each run: the users' p99 latency and failure rate, and how
 * busy the busiest server was.
 */
export const measure: Measure = ({ summary }) => {
  const users = summary.entities.find((entity) => entity.name === "users")!.metrics;
  let busiest = 0;
  for (const entity of summary.entities) {
    const utilization = entity.metrics.utilization;
    if (entity.name.startsWith("api-") && typeof utilization === "number") {
      busiest = Math.max(busiest, utilization);
    }
  }
  return {
    p99Latency: users.p99Latency as number,
    failureRate: users.failureRate as number,
    busiestUtilization: busiest,
  };
};
