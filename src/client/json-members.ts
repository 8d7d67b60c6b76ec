// A JSON object read as it streams, one member at a time: a listing of tens of
// thousands of binaries is never held as text and as objects at once (#23).
// Each member's value is cut out of the bytes and parsed alone; what the caller
// keeps of it is all that stays.

/** The body is not one JSON object, or not JSON at all. */
export class NotAnObject extends Error {}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

type Phase = 'start' | 'key-or-end' | 'key' | 'colon' | 'value' | 'after-value' | 'done';

/**
 * Feeds on the bytes of a JSON object and calls `member(key, value)` for each
 * of its members, in order. `end()` says the bytes are over: it throws when the
 * object is not whole. Throws NotAnObject on anything that is not an object.
 */
export class ObjectMembers {
  private phase: Phase = 'start';
  /** Bytes of the key or value being read, from the chunks they span. */
  private parts: Buffer[] = [];
  private key = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** A number, true, false or null: ends at the first byte that cannot belong to it. */
  private scalar = false;

  constructor(private readonly member: (key: string, value: unknown) => void) {}

  push(chunk: Buffer): void {
    // Where the key or value under way starts in this chunk: at its start when it began in an earlier one.
    let from = this.parts.length > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      switch (this.phase) {
        case 'start':
          if (isSpace(b)) continue;
          if (b !== OPEN_BRACE) throw new NotAnObject('not a JSON object');
          this.phase = 'key-or-end';
          continue;
        case 'key-or-end':
        case 'after-value':
          if (isSpace(b)) continue;
          if (b === CLOSE_BRACE) {
            this.phase = 'done';
            continue;
          }
          if (this.phase === 'after-value') {
            if (b !== COMMA) throw new NotAnObject('a member is not followed by "," or "}"');
            this.phase = 'key-or-end';
            continue;
          }
          if (b !== QUOTE) throw new NotAnObject('a member does not start with a key');
          this.phase = 'key';
          this.inString = true;
          this.escaped = false;
          from = i;
          continue;
        case 'key':
          i = this.scanString(chunk, i);
          if (this.inString) continue;
          this.parts.push(chunk.subarray(from, i + 1));
          from = -1;
          try {
            this.key = JSON.parse(this.take()) as string;
          } catch {
            // A bad escape or a raw control character: a server's mistake, not ours.
            throw new NotAnObject('a key is not a JSON string');
          }
          this.phase = 'colon';
          continue;
        case 'colon':
          if (isSpace(b)) continue;
          if (b !== COLON) throw new NotAnObject('a key is not followed by ":"');
          this.phase = 'value';
          this.depth = 0;
          this.scalar = false;
          continue;
        case 'value': {
          if (from < 0) {
            if (isSpace(b) && this.parts.length === 0) continue;
            from = i;
          }
          if (this.scalar) {
            if (isSpace(b) || b === COMMA || b === CLOSE_BRACE) {
              this.parts.push(chunk.subarray(from, i));
              from = -1;
              this.finishValue();
              i--; // the byte after the scalar is read again as what follows a value
            }
            continue;
          }
          const end = this.scanValue(chunk, i);
          if (end < 0) {
            i = chunk.length;
            continue;
          }
          i = end;
          if (this.scalar) {
            i--; // the scalar's first byte, read again as a scalar's
            continue;
          }
          this.parts.push(chunk.subarray(from, i + 1));
          from = -1;
          this.finishValue();
          continue;
        }
        case 'done':
          if (!isSpace(b)) throw new NotAnObject('bytes after the end of the object');
      }
    }
    // What is left of a key or value continues in the next chunk: its bytes are kept, copied out of this one.
    if (from >= 0) this.parts.push(Buffer.from(chunk.subarray(from)));
  }

  end(): void {
    if (this.phase !== 'done') throw new NotAnObject(this.phase === 'start' ? 'an empty body' : 'the object ends early');
  }

  /**
   * From `i`, inside a string: the place of its closing quote, or the
   * chunk's last byte with the string still open. A tight loop of its own:
   * a listing of 100,000 binaries is tens of MB, most of them in strings (#23).
   */
  private scanString(chunk: Buffer, i: number): number {
    let escaped = this.escaped;
    for (; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (escaped) escaped = false;
      else if (b === BACKSLASH) escaped = true;
      else if (b === QUOTE) {
        this.escaped = false;
        this.inString = false;
        return i;
      }
    }
    this.escaped = escaped;
    return chunk.length - 1;
  }

  /**
   * From `i`, in a value that is not a scalar under way: the place of the
   * byte that ends it (a closing quote or bracket at depth 0), or -1 when it
   * goes on in the next chunk. At a scalar's first byte it stops there, with
   * `scalar` set.
   */
  private scanValue(chunk: Buffer, i: number): number {
    for (; i < chunk.length; i++) {
      if (this.inString) {
        i = this.scanString(chunk, i);
        if (this.inString) return -1;
        if (this.depth === 0) return i;
        continue;
      }
      const b = chunk[i]!;
      if (b === QUOTE) {
        this.inString = true;
        this.escaped = false;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) this.depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        this.depth--;
        if (this.depth === 0) return i;
      } else if (this.depth === 0) {
        this.scalar = true;
        return i;
      }
    }
    return -1;
  }

  private take(): string {
    const text = this.parts.length === 1 ? this.parts[0]!.toString('utf8') : Buffer.concat(this.parts).toString('utf8');
    this.parts = [];
    return text;
  }

  private finishValue(): void {
    let value: unknown;
    try {
      value = JSON.parse(this.take());
    } catch {
      throw new NotAnObject(`the value of ${JSON.stringify(this.key.slice(0, 80))} is not JSON`);
    }
    this.phase = 'after-value';
    this.scalar = false;
    this.member(this.key, value);
  }
}
