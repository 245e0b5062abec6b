// The fallback moved to src/node (the sweep workers install it too); the CLI's name stays.
export { resolveDistsimForModels } from "../node/modelResolution.js";
