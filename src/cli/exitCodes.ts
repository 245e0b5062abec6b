/** Exit codes of the `distsim` command, one per kind of failure, so scripts can tell them apart. */
export const ExitCode = {
  ok: 0,
  /** A check found a violation (`check-history`: the history is not linearizable). */
  violation: 1,
  /** Bad arguments. */
  usage: 2,
  /** The model ran and failed (a handler threw, a protocol error): a finding, with its seed. */
  modelFailed: 3,
  /**
   * A check ran out of its budget before a verdict (`check-history --budget`): the same code as
   * a failed model, since either way there is no verdict; the output says which.
   */
  noVerdict: 3,
  /** The file is missing, does not load, or does not export a builder returning a Simulation. */
  invalidModel: 4,
  /** Ctrl-C (SIGINT) stopped the run (128 + SIGINT, as shells report it); what ran was written. */
  interrupted: 130,
} as const;
