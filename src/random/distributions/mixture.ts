/**
 * Mixtures: with probability proportional to its weight, draw from one of several
 * distributions. `bimodal` is the common case: a fast path and a slow path (cache hit or
 * miss, local or remote).
 */
import { ConfigError } from "../../errors/errors.js";
import { checkQuantile, type Distribution, isDistribution } from "./distribution.js";

export function mixture(
  components: readonly { weight: number; distribution: Distribution }[],
): Distribution {
  if (!Array.isArray(components) || components.length === 0) {
    throw new ConfigError(
      "dist.mixture",
      "components",
      "a non-empty array of { weight, distribution }",
      components,
    );
  }
  components.forEach((component, i) => {
    const weight = component?.weight;
    if (typeof weight !== "number" || !(weight > 0) || !Number.isFinite(weight)) {
      throw new ConfigError(
        "dist.mixture",
        `components[${i}].weight`,
        "a finite number > 0",
        weight,
      );
    }
    if (!isDistribution(component.distribution)) {
      throw new ConfigError(
        "dist.mixture",
        `components[${i}].distribution`,
        "a Distribution",
        component.distribution,
      );
    }
  });
  const total = components.reduce((sum, c) => sum + c.weight, 0);
  const cumulative = components.map(
    (_, i) => components.slice(0, i + 1).reduce((sum, c) => sum + c.weight, 0) / total,
  );
  cumulative[cumulative.length - 1] = 1;
  // The lowest of the components' bounds; unknown if any is.
  let lowerBound: number | undefined = Number.POSITIVE_INFINITY;
  for (const c of components) {
    const bound = c.distribution.lowerBound;
    lowerBound =
      bound === undefined || lowerBound === undefined ? undefined : Math.min(lowerBound, bound);
  }
  return {
    kind: "distribution",
    lowerBound,
    description: `mixture(${components.map((c) => `${(c.weight / total).toFixed(3)} ${c.distribution.description}`).join(", ")})`,
    sample: (stream, time = 0) => {
      const u = stream.next();
      let i = 0;
      while (u >= cumulative[i]!) i++;
      return components[i]!.distribution.sample(stream, time);
    },
    mean: (time = 0) => {
      let mean = 0;
      for (const c of components) {
        const m = c.distribution.mean(time);
        if (m === undefined) return undefined;
        mean += (c.weight / total) * m;
      }
      return mean;
    },
    // Percentiles of a mixture have no closed form.
    percentile: (q) => {
      checkQuantile("dist.mixture", q);
      return undefined;
    },
  };
}

/** `slow` with probability `slowProbability`, otherwise `fast`. */
export function bimodal(
  fast: Distribution,
  slow: Distribution,
  slowProbability: number,
): Distribution {
  if (typeof slowProbability !== "number" || !(slowProbability > 0 && slowProbability < 1)) {
    throw new ConfigError("dist.bimodal", "slowProbability", "a number in (0, 1)", slowProbability);
  }
  return mixture([
    { weight: 1 - slowProbability, distribution: fast },
    { weight: slowProbability, distribution: slow },
  ]);
}
