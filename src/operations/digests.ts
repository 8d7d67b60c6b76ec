// sha512s by name, held as 64 bytes each outside the heap where a hex string
// is 144 on it: what a run keeps of tens of thousands of binaries, listed or
// sent, until it has decided or verified them (#23).

const DIGEST_BYTES = 64;
/** Digests per buffer: 64 KiB each. */
const PER_CHUNK = 1024;

export class DigestsByName {
  private readonly slots = new Map<string, number>();
  private readonly chunks: Buffer[] = [];
  private used = 0;
  /** Checksums that are not 128 lowercase hex digits (none from chacra): kept as they came, compared as they came. */
  private readonly odd = new Map<number, string>();

  get size(): number {
    return this.slots.size;
  }

  /** Keeps `sha512` for `name`, in place of what it held; returns the name's slot. */
  set(name: string, sha512: string): number {
    let slot = this.slots.get(name);
    if (slot === undefined) {
      slot = this.used++;
      this.slots.set(name, slot);
      if (slot % PER_CHUNK === 0) this.chunks.push(Buffer.allocUnsafeSlow(PER_CHUNK * DIGEST_BYTES));
    }
    // Hex decoding stops at the first character that is not hex: fewer bytes say the checksum is odd.
    if (sha512.length === 2 * DIGEST_BYTES && this.chunk(slot).write(sha512, offset(slot), DIGEST_BYTES, 'hex') === DIGEST_BYTES && isLower(sha512))
      this.odd.delete(slot);
    else this.odd.set(slot, sha512);
    return slot;
  }

  slotOf(name: string): number | undefined {
    return this.slots.get(name);
  }

  get(name: string): string | undefined {
    const slot = this.slots.get(name);
    return slot === undefined ? undefined : this.at(slot);
  }

  /** The sha512 held in `slot`, as the hex string it came as. */
  at(slot: number): string {
    const odd = this.odd.get(slot);
    if (odd !== undefined) return odd;
    const from = offset(slot);
    return this.chunk(slot).toString('hex', from, from + DIGEST_BYTES);
  }

  /** Whether `sha512` is what `slot` holds, without making a string of it. */
  matches(slot: number, sha512: string): boolean {
    const odd = this.odd.get(slot);
    if (odd !== undefined) return odd === sha512;
    return this.at(slot) === sha512;
  }

  entries(): IterableIterator<[string, number]> {
    return this.slots.entries();
  }

  private chunk(slot: number): Buffer {
    return this.chunks[Math.floor(slot / PER_CHUNK)]!;
  }
}

const offset = (slot: number) => (slot % PER_CHUNK) * DIGEST_BYTES;

/** Held as bytes, a checksum comes back in lowercase: one in capitals is kept as it came, to be compared as it came. */
const isLower = (hex: string) => hex.toLowerCase() === hex;
