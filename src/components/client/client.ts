/**
 * `Client`: calls a target with a timeout per attempt and retries by a policy, and keeps score
 * (requests and how they ended, attempts and how they ended, retries, the failure rate, the
 * latency of successes and of every finished request). Retries are where
 * client behaviour decides whether a brief overload recovers or turns into a retry storm, so
 * they are a component, not a loop each model writes again.
 *
 * Use it from a process (`const response = yield* client.issue(payload)`: the response, or
 * the last error once the attempts run out) or as a message target (each message received is
 * issued as a request, fire-and-forget, which is how a `Source` drives it).
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Simulation } from "../../core/simulation.js";
import { requireEntity } from "../shared/validate.js";
import {
  type ClientStats,
  checkRetryingOptions,
  RetryingClient,
  type RetryingClientOptions,
} from "./retryingClient.js";

export type { ClientStats };

export interface ClientOptions<Req, Res> extends RetryingClientOptions {
  /** Who answers. */
  target: Entity<Req, Res>;
}

export class Client<Req = unknown, Res = unknown> extends RetryingClient<Req, Res> {
  static readonly catalog: CatalogEntry = {
    name: "Client",
    kind: "component",
    role: "recovery",
    layer: "local",
    contract:
      "Issues requests to its target with a timeout per attempt and retries by its policy; returns the first success or throws the last error, and counts everything.",
    requires: ["RetryLoop", "Timeout", "RequestId"],
    provides: ["AtLeastOnce"],
    inputs: ["payloads to request (issue() or messages)", "responses, rejections, silence"],
    outputs: [
      "requests to the target",
      "requests, succeeded, gaveUp, failureRate, forwarded, failed, timedOut, retries, latency of successes and of every finished request",
    ],
    state: "requests in flight; counters",
    failure_semantics:
      "Retries a timed-out or rejected attempt after the policy's delay; a request whose attempt timed out may still have been executed (at-least-once). A crash abandons in-flight requests.",
    composition_rules: ["Server", "LoadBalancer", "CircuitBreaker", "Network"],
    operational_knobs: knobs<ClientOptions<unknown, unknown>>()(
      "target",
      "timeout",
      "retryPolicy",
      "kind",
      "window",
      "retryBudget",
    ),
  };

  private readonly target: Entity<Req, Res>;

  constructor(sim: Simulation, name: string, options: ClientOptions<Req, Res>) {
    // Checked before registering: a refused client leaves no entity behind.
    const component = `Client "${name}"`;
    const config = checkRetryingOptions(component, options);
    const target = requireEntity(component, "target", options?.target, sim, Entity) as Entity<
      Req,
      Res
    >;
    super(sim, name, config);
    this.target = target;
  }

  protected override attempt(payload: Req): SimFuture<Res> {
    // `request` + yield (in `issue`) is `call` without its generator: one allocation less.
    const reply = this.request(this.target, this.kind, payload, this.callOptions());
    reply._privateToWaiter = true;
    return reply;
  }
}
