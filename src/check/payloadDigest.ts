/**
 * A stable digest of values (message payloads), for `checkDeterminism(..., { payloads: true })`.
 * Two runs that sent equal payloads get equal digests on every engine: the value is walked in a
 * fixed order and every piece is turned into 32-bit words (numbers by their exact IEEE-754
 * bits, strings by their UTF-16 code units), which two MurmurHash3 lanes fold.
 *
 * Covered: undefined, null, booleans, numbers (exact bits: -0, NaN and every last bit count),
 * bigints, strings, arrays (by index), Map and Set (in insertion order), Date (its time),
 * Error (name and message), and every other object by its constructor's name and its own
 * enumerable string-keyed properties, keys sorted. Engine objects stand for themselves: an
 * entity by its name, a message by its id, a future by its label and state, a process by its
 * id, the simulation by a tag. A reference back to an object being walked counts as a cycle
 * to that ancestor.
 *
 * Not covered: functions and symbols beyond their name or description, non-enumerable, symbol
 * keyed and private (`#x`) fields, accessors on prototypes, and the contents of WeakMap and
 * WeakSet.
 */
import { Entity } from "../core/entity.js";
import { SimFuture } from "../core/future.js";
import { Message } from "../core/message.js";
import { Process } from "../core/process.js";
import { Simulation } from "../core/simulation.js";
import { fmix32, mixWord } from "../random/hash.js";

enum Tag {
  Undefined = 1,
  Null,
  False,
  True,
  Number,
  BigInt,
  String,
  Array,
  Object,
  Map,
  Set,
  Date,
  Error,
  Entity,
  Message,
  Future,
  Process,
  Simulation,
  Function,
  Symbol,
  Cycle,
}

const bits = new DataView(new ArrayBuffer(8));

export class ValueDigest {
  private a = 0x3c6ef372;
  private b = 0xa54ff53a;
  private words = 0;
  private readonly walking: object[] = [];

  /** Folds `value` into the digest. */
  add(value: unknown): this {
    this.value(value);
    return this;
  }

  /** The digest so far, as 16 hex digits. */
  hex(): string {
    const hex32 = (h: number) => (h >>> 0).toString(16).padStart(8, "0");
    return hex32(fmix32(this.a ^ this.words)) + hex32(fmix32(this.b ^ this.words));
  }

  private word(w: number): void {
    this.a = mixWord(this.a, w);
    this.b = mixWord(this.b, w ^ 0x9e3779b9);
    this.words++;
  }

  private string(text: string): void {
    this.word(text.length);
    for (let i = 0; i < text.length; i += 2) {
      this.word(text.charCodeAt(i) | ((i + 1 < text.length ? text.charCodeAt(i + 1) : 0) << 16));
    }
  }

  private value(value: unknown): void {
    switch (typeof value) {
      case "undefined":
        this.word(Tag.Undefined);
        return;
      case "boolean":
        this.word(value ? Tag.True : Tag.False);
        return;
      case "number":
        bits.setFloat64(0, value, true);
        this.word(Tag.Number);
        this.word(bits.getUint32(0, true));
        this.word(bits.getUint32(4, true));
        return;
      case "bigint":
        this.word(Tag.BigInt);
        this.string(value.toString());
        return;
      case "string":
        this.word(Tag.String);
        this.string(value);
        return;
      case "symbol":
        this.word(Tag.Symbol);
        this.string(value.description ?? "");
        return;
      case "function":
        this.word(Tag.Function);
        this.string(value.name);
        return;
      default:
        if (value === null) this.word(Tag.Null);
        else this.object(value as object);
    }
  }

  private object(value: object): void {
    const ancestor = this.walking.indexOf(value);
    if (ancestor >= 0) {
      this.word(Tag.Cycle);
      this.word(this.walking.length - ancestor);
      return;
    }
    if (value instanceof Entity) {
      this.word(Tag.Entity);
      this.string(value.name);
      return;
    }
    if (value instanceof Message) {
      this.word(Tag.Message);
      this.word(value.id);
      return;
    }
    if (value instanceof SimFuture) {
      this.word(Tag.Future);
      this.string(value.label);
      this.string(value.state);
      return;
    }
    if (value instanceof Process) {
      this.word(Tag.Process);
      this.word(value.id);
      return;
    }
    if (value instanceof Simulation) {
      this.word(Tag.Simulation);
      return;
    }
    this.walking.push(value);
    if (Array.isArray(value)) {
      this.word(Tag.Array);
      this.word(value.length);
      for (let i = 0; i < value.length; i++) this.value(value[i]);
    } else if (value instanceof Map) {
      this.word(Tag.Map);
      this.word(value.size);
      for (const [key, item] of value) {
        this.value(key);
        this.value(item);
      }
    } else if (value instanceof Set) {
      this.word(Tag.Set);
      this.word(value.size);
      for (const item of value) this.value(item);
    } else if (value instanceof Date) {
      this.word(Tag.Date);
      this.value(value.getTime());
    } else {
      if (value instanceof Error) {
        this.word(Tag.Error);
        this.string(value.name);
        this.string(value.message);
      }
      this.word(Tag.Object);
      const prototype = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
      const name = prototype?.constructor?.name;
      this.string(typeof name === "string" ? name : "");
      const keys = Object.keys(value).sort();
      this.word(keys.length);
      for (const key of keys) {
        this.string(key);
        this.value((value as Record<string, unknown>)[key]);
      }
    }
    this.walking.pop();
  }
}
