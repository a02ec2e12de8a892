import { AppError } from '@audit/platform';

/**
 * The live tails a process holds open, counted per organization and in all: each open tail is a
 * JetStream consumer on the server and a socket here, so both are bounded. {@link take} refuses past
 * either bound with 429; the release it returns frees the slot once (calling it again does nothing).
 */
export class LiveTailSlots {
  private readonly byOrg = new Map<string, number>();
  private total = 0;

  constructor(private readonly limits: { perOrg: number; perProcess: number }) {}

  take(organizationId: string): () => void {
    const held = this.byOrg.get(organizationId) ?? 0;
    if (held >= this.limits.perOrg) {
      throw new AppError('TOO_MANY_REQUESTS', `this organization already has ${held} live tails open (LIVE_TAIL_MAX_PER_ORG): close one, or try again later`);
    }
    if (this.total >= this.limits.perProcess) {
      throw new AppError('TOO_MANY_REQUESTS', `this server already holds ${this.total} live tails (LIVE_TAIL_MAX_PER_PROCESS): try again later`);
    }
    this.byOrg.set(organizationId, held + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.byOrg.get(organizationId) ?? 1) - 1;
      if (left > 0) this.byOrg.set(organizationId, left);
      else this.byOrg.delete(organizationId);
    };
  }

  /** Tails open now: of one organization, or in all. */
  held(organizationId?: string): number {
    return organizationId === undefined ? this.total : (this.byOrg.get(organizationId) ?? 0);
  }
}
