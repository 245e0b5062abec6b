// The thread worker when distsim runs from its TypeScript sources (its own tests): a worker
// thread cannot read TypeScript by itself, so this plain module loads it through tsx. The
// build runs threadWorker.js directly and never uses this file.
import { tsImport } from "tsx/esm/api";

const worker = await tsImport("./threadWorker.ts", import.meta.url);
export default worker.default;
