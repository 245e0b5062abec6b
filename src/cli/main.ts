#!/usr/bin/env node
// Entry point of the `distsim` binary: everything else is in program.ts.
import { main } from "./program.js";

process.exitCode = await main(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTTY: process.stderr.isTTY === true,
});
