#!/usr/bin/env node
// Entry point of the `distsim` binary: everything else is in program.ts.
import { main } from "./program.js";

/**
 * Output as far as its reader wants it: when the reader goes away (`distsim catalog list |
 * head -3`), writing stops quietly instead of failing on EPIPE, and the command carries on
 * (a run still writes its files) and exits with its own code.
 */
function writerTo(stream: NodeJS.WriteStream): (text: string) => void {
  let readerGone = false;
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") readerGone = true;
    else throw error;
  });
  return (text) => {
    if (!readerGone) stream.write(text);
  };
}

process.exitCode = await main(process.argv.slice(2), {
  out: writerTo(process.stdout),
  err: writerTo(process.stderr),
  isTTY: process.stderr.isTTY === true,
});
