/** The server family. */
export { Server, type ServerOptions, type ServerStats } from "./server.js";
