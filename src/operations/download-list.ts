// A whole target's listing as a download holds it (#23): what each binary
// needs, compactly, until its turn comes.
import type { ChacraClient, ListedBinary } from '../client/client.js';
import type { BinaryTarget } from '../client/paths.js';
import { DigestsByName } from './digests.js';

/**
 * A target's listing as a download needs it: each binary's name, size and
 * sha512, about a hundred bytes each where a ListedBinary was 250 (#23).
 */
export interface TargetListing {
  digests: DigestsByName;
  /** By slot of `digests`. */
  names: string[];
  sizes: number[];
}

/** An empty listing when the target does not exist. */
export async function readListing(client: ChacraClient, target: BinaryTarget, signal: AbortSignal): Promise<TargetListing> {
  const listing: TargetListing = { digests: new DigestsByName(), names: [], sizes: [] };
  await client.scanChecksums(
    target,
    (entry) => {
      const slot = listing.digests.set(entry.name, entry.checksum);
      listing.names[slot] = entry.name;
      listing.sizes[slot] = entry.size;
    },
    signal,
  );
  return listing;
}

/** The binaries to fetch, in order, each made whole only when its turn comes. */
export class Wanted {
  private next = 0;

  constructor(
    private readonly listing: TargetListing,
    private readonly order: readonly number[],
  ) {}

  get length(): number {
    return this.order.length;
  }

  get bytes(): number {
    return this.order.reduce((n, slot) => n + this.listing.sizes[slot]!, 0);
  }

  /** The binaries not yet handed out, each handed out once. */
  *drain(): Generator<ListedBinary> {
    while (this.next < this.order.length) {
      const slot = this.order[this.next++]!;
      yield { name: this.listing.names[slot]!, checksum: this.listing.digests.at(slot), size: this.listing.sizes[slot]! };
    }
  }
}
