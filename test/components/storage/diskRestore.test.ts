/**
 * Goal: `Disk.restore` (the data a model starts with) refuses records that do not fit in
 * `capacityBytes` with what the disk holds, with a `ConfigError` naming the disk, the file, the
 * room left and what was given, and restores nothing of them; records that fit exactly go in.
 * Method: a disk of 1,000 bytes with 100-byte records; restores that fit, overflow by one
 * record, and a generator whose records would overflow, checked against the files and usedBytes.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, Disk, Entity, Simulation } from "../../../src/index.js";

function setup() {
  const sim = new Simulation({ seed: 1 });
  const node = new Entity(sim, "node");
  const disk = new Disk<string>(sim, "disk", {
    owner: node,
    capacityBytes: 1000,
    recordBytes: 100,
  });
  return { sim, disk };
}

describe("Disk.restore and capacityBytes", () => {
  it("refuses records past the capacity with a ConfigError and restores none of them", () => {
    const { disk } = setup();
    disk.restore("a", ["1", "2", "3", "4"]);
    const attempt = () => disk.restore("b", ["5", "6", "7", "8", "9", "10", "11"]);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      'Disk "disk".restore("b"): option "values" must be at most 600 bytes (capacityBytes 1000, 400 used); given "7 records of 100 bytes (700 bytes)"',
    );
    expect(disk.stats.usedBytes).toBe(400);
    expect(disk.files()).toEqual(["a"]);
    // Onto an existing file, with a generator: nothing half-restored either.
    function* many() {
      for (let i = 0; i < 7; i++) yield `g${i}`;
    }
    expect(() => disk.restore("a", many())).toThrow(ConfigError);
    expect(disk.records("a", "synced").map((r) => r.value)).toEqual(["1", "2", "3", "4"]);
    expect(disk.records("a").length).toBe(4);
    // A record size of its own counts too.
    expect(() => disk.restore("c", ["x"], { sizeBytes: 601 })).toThrow(/at most 600 bytes/);
    // Exactly full is fine.
    disk.restore("b", ["5", "6", "7", "8", "9", "10"]);
    expect(disk.stats.usedBytes).toBe(1000);
  });
});
