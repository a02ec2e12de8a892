import { LONE_SURROGATE_REASON, NUL_REASON, isWellFormedText } from './text';

/**
 * A container waiting on the walk's stack. `parent` and `key` rebuild its path
 * only when a problem is reported, so a clean walk builds no strings.
 */
interface Frame {
  readonly value: object;
  /** metadata itself is level 1. */
  readonly depth: number;
  readonly parent: Frame | undefined;
  readonly key: string | number;
}

// A reason echoes a path built from the emitter's keys; like describeValue, it
// must not turn into the large part of the answer.
const MAX_KEY_ECHO_CHARS = 64;
export const MAX_PATH_ECHO_CHARS = 200;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Cuts `text` to at most `max` UTF-16 units plus "…", never between the halves of a surrogate pair. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return text.slice(0, end) + '…';
}

/** A key as the reason shows it; JSON quoting escapes lone surrogates and control characters. */
function showKey(key: string): string {
  return JSON.stringify(cut(key, MAX_KEY_ECHO_CHARS));
}

/** One step of a path as errors name it: `[2]`, `.name`, or `["x y"]` for a key that is not an identifier. */
export function segment(key: string | number): string {
  if (typeof key === 'number') return `[${key}]`;
  return IDENTIFIER.test(key) ? `.${key}` : `[${showKey(key)}]`;
}

/** `metadata.a[2]["x y"]`, from the root frame down to `key` under `frame`. */
function pathOf(frame: Frame, key?: string | number): string {
  const segments: string[] = key === undefined ? [] : [segment(key)];
  for (let f: Frame | undefined = frame; f?.parent !== undefined; f = f.parent) segments.push(segment(f.key));
  return cut('metadata' + segments.reverse().join(''), MAX_PATH_ECHO_CHARS);
}

/** Where a bad text sits, for the reason: in a key (shown, with the path of its object) or in a value. */
function whereText(frame: Frame, key: string | number, inKey: boolean): string {
  return inKey
    ? `first in the key ${showKey(String(key))} at ${pathOf(frame)}`
    : `first in the value at ${pathOf(frame, key)}`;
}

/**
 * Checks every key and string value of a metadata object, at any depth, by
 * the text rule (no U+0000, no lone surrogate), and its nesting against
 * `maxDepth` (metadata itself is level 1), in one walk with an explicit stack:
 * no recursion, so no input can exhaust the call stack.
 *
 * Returns at most one reason per kind of problem, naming where it first
 * occurs (`metadata.a.b`, or the key and where it sits), so a 32 KiB payload
 * full of bad text still gets a short answer. The walk ends at the first
 * container past `maxDepth` (or once every kind was found), so it also ends
 * on a cyclic object graph a caller might pass.
 */
export function findMetadataProblems(metadata: object, maxDepth: number): string[] {
  return new MetadataWalk(maxDepth).run(metadata);
}

/**
 * Whether {@link findMetadataProblems} could find anything in a metadata object whose `JSON.stringify` is
 * `json`: a look at the text, much cheaper than the walk, that lets the common clean object skip it. It
 * errs only towards "maybe", so the walk still names every problem. JSON.stringify writes U+0000 and every
 * lone surrogate, in keys and values alike, as a `\u` escape, so text without one holds neither; and
 * nesting deeper than `maxDepth` needs more than `maxDepth` of `{` and `[` in the text (those inside
 * strings only make the count safer).
 */
export function metadataJsonMayHoldProblems(json: string, maxDepth: number): boolean {
  if (json.includes('\\u')) return true;
  let containers = 0;
  for (let i = json.indexOf('{'); i !== -1; i = json.indexOf('{', i + 1)) if (++containers > maxDepth) return true;
  for (let i = json.indexOf('['); i !== -1; i = json.indexOf('[', i + 1)) if (++containers > maxDepth) return true;
  return false;
}

/** One walk's state. A class rather than closures: it runs for every event on the ingest hot path. */
class MetadataWalk {
  private nul: string | undefined;
  private surrogate: string | undefined;
  private depth: string | undefined;
  private readonly stack: Frame[] = [];

  constructor(private readonly maxDepth: number) {}

  run(metadata: object): string[] {
    this.stack.push({ value: metadata, depth: 1, parent: undefined, key: 'metadata' });
    while (this.stack.length > 0 && this.depth === undefined && (this.nul === undefined || this.surrogate === undefined)) {
      const frame = this.stack.pop() as Frame;
      const { value } = frame;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) this.visit(value[i], frame, i);
      } else {
        for (const key of Object.keys(value)) {
          this.checkText(key, frame, key, true);
          this.visit((value as Record<string, unknown>)[key], frame, key);
        }
      }
    }
    const problems: string[] = [];
    for (const reason of [this.nul, this.surrogate, this.depth]) if (reason !== undefined) problems.push(reason);
    return problems;
  }

  private visit(child: unknown, frame: Frame, key: string | number): void {
    if (typeof child === 'string') {
      this.checkText(child, frame, key, false);
    } else if (typeof child === 'object' && child !== null && this.depth === undefined) {
      if (frame.depth < this.maxDepth) {
        this.stack.push({ value: child, depth: frame.depth + 1, parent: frame, key });
      } else {
        this.depth =
          `must nest objects and arrays at most ${this.maxDepth} levels deep, counting metadata itself ` +
          `(level ${this.maxDepth + 1} first at ${pathOf(frame, key)})`;
      }
    }
  }

  private checkText(text: string, frame: Frame, key: string | number, inKey: boolean): void {
    if (this.nul === undefined && text.includes('\u0000')) this.nul = `${NUL_REASON} (${whereText(frame, key, inKey)})`;
    if (this.surrogate === undefined && !isWellFormedText(text)) {
      this.surrogate = `${LONE_SURROGATE_REASON} (${whereText(frame, key, inKey)})`;
    }
  }
}
