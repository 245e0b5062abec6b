/**
 * The Node implementation of the engine's generator locator: asks V8's inspector, on this
 * thread, where a suspended generator stands (`[[GeneratorLocation]]`), and maps the position
 * through the file's source map (tsx and tsc both emit them), so a bad `yield` in a
 * TypeScript model is reported at its line in the .ts file. Node-only: it uses node:inspector.
 */
import { Session } from "node:inspector";
import { findSourceMap, SourceMap } from "node:module";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type GeneratorLocator, setGeneratorLocator } from "../core/sourceLocation.js";

interface InspectorLocation {
  readonly scriptId: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

/** One inspector session for the process, opened at the first bad yield. */
let session: Session | null = null;
const scriptUrls = new Map<string, string>();

function connect(): Session {
  if (session !== null) return session;
  const opened = new Session();
  opened.connect();
  opened.on("Debugger.scriptParsed", (message) => {
    scriptUrls.set(message.params.scriptId, message.params.url);
  });
  // Enabling the debugger replays scriptParsed for every script loaded so far.
  opened.post("Debugger.enable");
  session = opened;
  return opened;
}

/** Posts a command and returns its answer; same-thread inspector sessions answer at once. */
function postNow<T>(s: Session, method: string, params: object): T | null {
  let answer: T | null = null;
  s.post(method, params, (error, result) => {
    if (error === null) answer = result as T;
  });
  return answer;
}

/**
 * The source map inlined at the end of a script, which Node has not recorded when the script
 * was not loaded by its own loader (a test runner's vm modules) or source maps are off.
 */
function inlineSourceMap(s: Session, scriptId: string): SourceMap | undefined {
  const source = postNow<{ scriptSource: string }>(s, "Debugger.getScriptSource", { scriptId });
  const text = source?.scriptSource ?? "";
  const at = text.lastIndexOf("sourceMappingURL=data:application/json");
  if (at < 0) return undefined;
  const url = text.slice(at + "sourceMappingURL=".length).split(/\s/, 1)[0]!;
  const comma = url.indexOf(",");
  const data = url.slice(comma + 1);
  const json = url.slice(0, comma).endsWith(";base64")
    ? Buffer.from(data, "base64").toString("utf8")
    : decodeURIComponent(data);
  try {
    return new SourceMap(JSON.parse(json));
  } catch {
    return undefined;
  }
}

/** The generator's position as file:line:column (1-based), through its source map if any. */
export const inspectorGeneratorLocator: GeneratorLocator = (generator) => {
  const s = connect();
  const key = "__distsimGeneratorToLocate";
  const holder = globalThis as Record<string, unknown>;
  holder[key] = generator;
  let location: InspectorLocation | undefined;
  try {
    const handle = postNow<{ result: { objectId?: string } }>(s, "Runtime.evaluate", {
      expression: `globalThis.${key}`,
    });
    const objectId = handle?.result.objectId;
    if (objectId === undefined) return null;
    const properties = postNow<{
      internalProperties?: { name: string; value?: { value?: InspectorLocation } }[];
    }>(s, "Runtime.getProperties", { objectId, ownProperties: true });
    location = properties?.internalProperties?.find((p) => p.name === "[[GeneratorLocation]]")
      ?.value?.value;
    postNow(s, "Runtime.releaseObject", { objectId });
  } finally {
    delete holder[key];
  }
  if (location === undefined) return null;
  const url = scriptUrls.get(location.scriptId);
  if (url === undefined || url === "") return null;
  let file = url;
  let line = location.lineNumber + 1;
  let column = location.columnNumber + 1;
  const map = findSourceMap(url) ?? inlineSourceMap(s, location.scriptId);
  const original = map?.findEntry(location.lineNumber, location.columnNumber);
  if (original !== undefined && "originalSource" in original && original.originalSource) {
    file = original.originalSource;
    line = original.originalLine + 1;
    column = original.originalColumn + 1;
  }
  // A map names its sources relative to the script (a test runner's maps do).
  if (!/^[a-z][a-z0-9+.-]*:/i.test(file) && !isAbsolute(file) && url.startsWith("file://")) {
    file = resolve(dirname(fileURLToPath(url)), file);
  }
  if (file.startsWith("file://")) file = fileURLToPath(file);
  return `${file}:${line}:${column}`;
};

/** Makes a bad `yield` name the file and line where the process stands (Node only). */
export function installGeneratorLocator(): void {
  setGeneratorLocator(inspectorGeneratorLocator);
}
