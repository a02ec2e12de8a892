import type { EventFailure } from './log-verifier';

/**
 * The most failures a report names, 100,000 (about 20 MB): a bundle of empty lines (30 KB of gzip holds
 * 30 million) fails every one, and naming each held 4.6 GB. Those past it are counted, not named.
 */
export const MAX_NAMED_FAILURES = 100_000;

/** The failures a verifier names, up to {@link MAX_NAMED_FAILURES}, and how many more it counted. */
export class FailureList {
  readonly named: EventFailure[] = [];
  unnamed = 0;

  constructor(private readonly max = MAX_NAMED_FAILURES) {}

  add(failure: EventFailure): void {
    if (this.named.length < this.max) this.named.push(failure);
    else this.unnamed++;
  }
}
