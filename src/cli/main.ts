#!/usr/bin/env node
// Entry point of the `distsim` binary: everything else is in program.ts.
import { main } from "./program.js";

process.exitCode = main(process.argv.slice(2), (text) => process.stdout.write(text));
