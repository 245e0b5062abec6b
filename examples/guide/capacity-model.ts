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
 */
import {
  arrivals,
  Client,
  conditions,
  dist,
  LoadBalancer,
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

const SERVERS = 4;

/** Seconds: the peak ends at 120 s, and the last minute shows the queues drain. */
export const until = 180;

const build: ModelBuilder = ({ seed }) => {
  const sim = new Simulation({ seed });
  new Network(sim, "dc", { defaultLink: new NetworkLink(sim, "dc-link", conditions.datacenter()) });
  const servers = Array.from(
    { length: SERVERS },
    (_, i) =>
      new Server<number, number>(sim, `api-${i}`, {
        concurrency: 8,
        // The last server is an older machine: 50% slower.
        serviceTime: dist.lognormal({ median: i === SERVERS - 1 ? 0.06 : 0.04, sigma: 0.6 }),
        queueCapacity: 100,
      }),
  );
  const balancer = new LoadBalancer<number, number>(sim, "lb", {
    backends: servers,
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
        { at: 60, value: 450 },
        { at: 120, value: 300 },
      ]),
    ),
  });
  // Charted by `--report`: how deep the slow server's line gets at the peak.
  new Probe(sim, "old server queue", {
    read: () => servers[SERVERS - 1]!.queued,
    interval: 1,
    unit: "requests",
  });
  return sim;
};

export default build;
