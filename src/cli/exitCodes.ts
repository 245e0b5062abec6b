/** Exit codes of the `distsim` command, one per kind of failure, so scripts can tell them apart. */
export const ExitCode = {
  ok: 0,
  /** Bad arguments. */
  usage: 2,
  /** The model ran and failed (a handler threw, a protocol error): a finding, with its seed. */
  modelFailed: 3,
  /** The file is missing, does not load, or does not export a builder returning a Simulation. */
  invalidModel: 4,
  /** Ctrl-C (SIGINT) stopped the run (128 + SIGINT, as shells report it); what ran was written. */
  interrupted: 130,
} as const;
