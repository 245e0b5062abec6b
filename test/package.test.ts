/**
 * Goal: the package resolves as a user installs it: `import "distsim"` goes through the
 * `exports` map to the built JavaScript and exposes the public API.
 * Method: a self-referencing dynamic import (Node resolves a package's own name through its
 * exports), run in a child Node process without any TypeScript loader.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

it("import 'distsim' resolves to the build and runs a model", () => {
  const script = `
    const d = await import("distsim");
    const sim = new d.Simulation({ seed: 1 });
    let fired = 0;
    sim.after(d.ms(5), () => { fired++; });
    const summary = sim.run();
    console.log(JSON.stringify({ fired, time: summary.time, names: ["Entity", "SimFuture", "race", "checkDeterminism"].every((n) => n in d) }));
  `;
  const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: root,
    encoding: "utf8",
  });
  expect(JSON.parse(output)).toEqual({ fired: 1, time: 0.005, names: true });
});
