/**
 * The load-balancer tests' backend. Not the shared `ScriptedTarget` (test/support/targets.ts):
 * these tests route plain string payloads (consistent hashing keys on them) and change a
 * backend's answer time or refusal between requests, where a `ScriptedTarget`'s jobs carry
 * their own durations. Callers are the shared `RecordingCaller`.
 */
import { Entity } from "../../../src/core/entity.js";
import type { Message } from "../../../src/core/message.js";

/** Answers every request after `takes` seconds with its own name, or fails with `rejects`. */
export class Backend extends Entity<string, string> {
  takes = 0.01;
  rejects: string | null = null;
  readonly seen: string[] = [];

  override *handle(request: Message<string>) {
    this.seen.push(request.payload);
    yield this.takes;
    if (this.rejects !== null) this.fail(request, this.rejects);
    else this.reply(request, this.name);
  }
}
