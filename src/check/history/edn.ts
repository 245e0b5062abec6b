/**
 * Jepsen's history files: EDN, one operation map a line
 * (`{:process 0, :type :invoke, :f :cas, :value [1 2]}`), or one vector of them. The reader
 * covers the part of EDN such files use: maps, vectors, lists, sets, keywords, strings,
 * numbers, nil, booleans, symbols, characters, comments, `#_` discards and tagged literals
 * (`#inst "..."`, Jepsen 0.3's `#jepsen.history.Op{...}` records, read as their value).
 * Keywords and symbols become strings (`:cas` is "cas"), sets become arrays, integers past
 * 2^53 the string of their digits. A small reader of
 * our own rather than a package: the subset is small, and the npm EDN parsers are unmaintained
 * or map keywords to objects that would leak into every model.
 *
 * Nemesis operations (`:process :nemesis`) are not client operations and are left out.
 */
import { DistsimError } from "../../errors/errors.js";
import type { EventType, History, HistoryEvent } from "./history.js";

/** Text that is not the EDN a history file holds. */
export class EdnError extends DistsimError {
  override name = "EdnError";
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`EDN line ${line}: ${message}`);
  }
}

const KEYWORD = Symbol("keyword");
/** A keyword while reading: kept apart from strings until the event fields are read. */
interface Keyword {
  readonly [KEYWORD]: true;
  readonly name: string;
}

function keyword(name: string): Keyword {
  return { [KEYWORD]: true, name };
}

function isKeyword(value: unknown): value is Keyword {
  return typeof value === "object" && value !== null && KEYWORD in value;
}

const DELIMITERS = new Set(["{", "}", "[", "]", "(", ")", '"', ";"]);
const NUMBER = /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)[NM]?$/;
const RATIO = /^[+-]?\d+\/\d+$/;
const INTEGER = /^[+-]?\d+N?$/;

class Reader {
  private at = 0;
  private line = 1;
  constructor(private readonly text: string) {}

  /** Every top-level form. */
  readAll(): unknown[] {
    const forms: unknown[] = [];
    for (;;) {
      this.skip();
      if (this.at >= this.text.length) return forms;
      forms.push(this.read());
    }
  }

  private fail(message: string): never {
    throw new EdnError(message, this.line);
  }

  private skip(): void {
    const text = this.text;
    while (this.at < text.length) {
      const c = text[this.at]!;
      if (c === "\n") {
        this.line++;
        this.at++;
      } else if (c === " " || c === "," || c === "\t" || c === "\r") {
        this.at++;
      } else if (c === ";") {
        while (this.at < text.length && text[this.at] !== "\n") this.at++;
      } else if (c === "#" && text[this.at + 1] === "_") {
        // A discarded form is whitespace, also just before a closing bracket or the end.
        this.at += 2;
        this.read();
      } else {
        return;
      }
    }
  }

  private read(): unknown {
    this.skip();
    const text = this.text;
    if (this.at >= text.length) this.fail("unexpected end of input");
    const c = text[this.at]!;
    switch (c) {
      case "{": {
        this.at++;
        const items = this.readUntil("}");
        if (items.length % 2 !== 0) this.fail("a map needs an even number of forms");
        const map = new Map<unknown, unknown>();
        for (let i = 0; i < items.length; i += 2) map.set(items[i], items[i + 1]);
        return map;
      }
      case "[":
        this.at++;
        return this.readUntil("]");
      case "(":
        this.at++;
        return this.readUntil(")");
      case '"':
        return this.readString();
      case "#": {
        const after = text[this.at + 1];
        if (after === "{") {
          this.at += 2;
          return this.readUntil("}");
        }
        if (after === "#") {
          this.at += 2;
          const name = this.readToken();
          if (name === "Inf") return Number.POSITIVE_INFINITY;
          if (name === "-Inf") return Number.NEGATIVE_INFINITY;
          if (name === "NaN") return Number.NaN;
          return this.fail(`unknown symbolic value ##${name}`);
        }
        // A tagged literal: the tag, then the value it tags.
        this.at++;
        this.readToken();
        return this.read();
      }
      case "}":
      case "]":
      case ")":
        return this.fail(`unexpected "${c}"`);
      case "\\": {
        this.at++;
        const token = this.readToken();
        const named: Record<string, string> = {
          newline: "\n",
          space: " ",
          tab: "\t",
          return: "\r",
        };
        return named[token] ?? token;
      }
      default:
        return this.readAtom();
    }
  }

  private readUntil(close: string): unknown[] {
    const items: unknown[] = [];
    for (;;) {
      this.skip();
      if (this.at >= this.text.length) this.fail(`missing "${close}"`);
      if (this.text[this.at] === close) {
        this.at++;
        return items;
      }
      items.push(this.read());
    }
  }

  private readString(): string {
    const text = this.text;
    this.at++;
    let out = "";
    for (;;) {
      if (this.at >= text.length) this.fail("unterminated string");
      const c = text[this.at++]!;
      if (c === '"') return out;
      if (c === "\n") this.line++;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = text[this.at++];
      if (e === "n") out += "\n";
      else if (e === "t") out += "\t";
      else if (e === "r") out += "\r";
      else if (e === "b") out += "\b";
      else if (e === "f") out += "\f";
      else if (e === "u") {
        out += String.fromCharCode(Number.parseInt(text.slice(this.at, this.at + 4), 16));
        this.at += 4;
      } else if (e === undefined) this.fail("unterminated string");
      else out += e;
    }
  }

  private readToken(): string {
    const text = this.text;
    const start = this.at;
    while (this.at < text.length) {
      const c = text[this.at]!;
      if (c === " " || c === "," || c === "\n" || c === "\t" || c === "\r" || DELIMITERS.has(c)) {
        break;
      }
      this.at++;
    }
    if (this.at === start) this.fail(`unexpected "${text[this.at]}"`);
    return text.slice(start, this.at);
  }

  private readAtom(): unknown {
    const token = this.readToken();
    if (token === "nil") return null;
    if (token === "true") return true;
    if (token === "false") return false;
    if (token.startsWith(":")) return keyword(token.slice(1));
    if (NUMBER.test(token)) {
      const number = Number(token.replace(/[NM]$/, ""));
      // An integer past 2^53 has no exact number: its digits, so two such never read as one.
      if (Number.isInteger(number) && !Number.isSafeInteger(number) && INTEGER.test(token)) {
        return token.replace(/^\+|N$/g, "");
      }
      return number;
    }
    if (RATIO.test(token)) {
      const [a, b] = token.split("/");
      return Number(a) / Number(b);
    }
    return token;
  }
}

/** Turns keywords into strings and maps into objects, for values a model reads. */
function plain(value: unknown): unknown {
  if (isKeyword(value)) return value.name;
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) {
    const object: Record<string, unknown> = {};
    for (const [k, v] of value) object[String(plain(k))] = plain(v);
    return object;
  }
  return value;
}

const TYPES: ReadonlySet<string> = new Set(["invoke", "ok", "fail", "info"]);

/** What `parseEdnHistory` read: the events, and how many nemesis operations it left out. */
export interface EdnHistory {
  readonly history: History;
  readonly nemesisEvents: number;
}

/**
 * Reads a Jepsen history: maps with `:process`, `:type`, `:f`, `:value`, and optionally
 * `:time` (nanoseconds), `:key` (Porcupine's key-value histories), `:error`. Throws `EdnError`
 * for text that is not EDN or a map that is not an operation.
 */
export function parseEdnHistory(text: string): EdnHistory {
  const reader = new Reader(text);
  let forms = reader.readAll();
  if (forms.length === 1 && Array.isArray(forms[0])) forms = forms[0] as unknown[];
  const history: HistoryEvent[] = [];
  let nemesisEvents = 0;
  forms.forEach((form, i) => {
    if (!(form instanceof Map)) {
      throw new EdnError(`operation ${i} is not a map`, lineOf(text, i));
    }
    const field = (name: string): unknown => {
      for (const [k, v] of form) if (isKeyword(k) && k.name === name) return v;
      return undefined;
    };
    const process = field("process");
    if (isKeyword(process)) {
      nemesisEvents++;
      return;
    }
    const type = plain(field("type"));
    if (typeof type !== "string" || !TYPES.has(type)) {
      throw new EdnError(
        `operation ${i}: :type must be :invoke, :ok, :fail or :info; given ${String(type)}`,
        lineOf(text, i),
      );
    }
    if (typeof process !== "number" && typeof process !== "string") {
      throw new EdnError(`operation ${i}: :process must be a number`, lineOf(text, i));
    }
    const f = plain(field("f"));
    if (typeof f !== "string") {
      throw new EdnError(`operation ${i}: :f must be a keyword`, lineOf(text, i));
    }
    const value = field("value");
    const time = field("time");
    const key = field("key");
    const error = field("error");
    history.push({
      type: type as EventType,
      process,
      f,
      ...(key === undefined ? {} : { key: plain(key) }),
      value: value === undefined ? null : plain(value),
      ...(typeof time === "number" ? { time } : {}),
      ...(error === undefined || error === null
        ? {}
        : { error: typeof error === "string" ? error : formatEdn(plain(error)) }),
    });
  });
  return { history, nemesisEvents };
}

/** The line of the i-th form, for messages: one operation a line is the common layout. */
function lineOf(text: string, form: number): number {
  const lines = text.split("\n");
  let seen = -1;
  for (let l = 0; l < lines.length; l++) {
    if (lines[l]!.trim().startsWith("{") || lines[l]!.trim().startsWith("#")) seen++;
    if (seen === form) return l + 1;
  }
  return 1;
}

const KEYWORD_NAME = /^[A-Za-z*+!_?<>=][A-Za-z0-9*+!_?<>=.\-/]*$/;

/** A value as EDN: strings quoted, arrays as vectors, objects as maps with keyword keys. */
export function formatEdn(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (Number.isFinite(value)) return String(value);
    return Number.isNaN(value) ? "##NaN" : value > 0 ? "##Inf" : "##-Inf";
  }
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(formatEdn).join(" ")}]`;
  if (typeof value === "object") {
    return `{${Object.entries(value)
      .map(([k, v]) => `${KEYWORD_NAME.test(k) ? `:${k}` : JSON.stringify(k)} ${formatEdn(v)}`)
      .join(", ")}}`;
  }
  return JSON.stringify(String(value));
}

/** One event as a Jepsen history line. */
export function formatEdnEvent(event: HistoryEvent): string {
  const f = KEYWORD_NAME.test(event.f) ? `:${event.f}` : JSON.stringify(event.f);
  const process =
    typeof event.process === "number" ? String(event.process) : JSON.stringify(event.process);
  let line = `{:process ${process}, :type :${event.type}, :f ${f}`;
  if (event.key !== undefined) line += `, :key ${formatEdn(event.key)}`;
  line += `, :value ${formatEdn(event.value)}`;
  if (event.time !== undefined) line += `, :time ${event.time}`;
  if (event.error !== undefined) line += `, :error ${JSON.stringify(event.error)}`;
  return `${line}}`;
}

/** A history as Jepsen history lines, one event a line. */
export function formatEdnHistory(history: History): string {
  let text = "";
  for (const event of history) text += `${formatEdnEvent(event)}\n`;
  return text;
}
