/**
 * Goal: the leader bookkeeping both consensus clients share follows a hint only to another
 * known node, and otherwise tries every node in turn.
 * Method: drive a LeaderGuess directly.
 */
import { describe, expect, it } from "vitest";
import { LeaderGuess } from "../../../src/components/consensus/leaderGuess.js";

describe("LeaderGuess", () => {
  it("follows a hint naming another known node, and nothing else", () => {
    const guess = new LeaderGuess(["a", "b", "c"]);
    expect(guess.current).toBe(0);
    expect(guess.follow("c")).toBe(true);
    expect(guess.current).toBe(2);
    // The node just asked, an unknown name, no name: no redirect.
    expect(guess.follow("c")).toBe(false);
    expect(guess.follow("z")).toBe(false);
    expect(guess.follow(null)).toBe(false);
    expect(guess.current).toBe(2);
  });

  it("tries every node in turn, wrapping around", () => {
    const guess = new LeaderGuess(["a", "b", "c"]);
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      guess.next();
      seen.push(guess.current);
    }
    expect(seen).toEqual([1, 2, 0, 1]);
  });
});
