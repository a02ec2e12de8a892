/**
 * Splits bytes that come in chunks, cut anywhere, into lines ending in "\n" (without it; a "\r" before it
 * stays part of the line). A line is handed over in place (`bytes[start, end)`, valid during the call)
 * unless it spans chunks. A line longer than `maxBytes` is never held: `onOverlong` hears it once, and its
 * bytes are dropped up to its newline.
 */
export class LineSplitter {
  /** The start of a line whose newline is in a later chunk. */
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** Within an overlong line, until its newline. */
  private skipping = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (bytes: Buffer, start: number, end: number) => void,
    private readonly onOverlong: () => void,
  ) {}

  write(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(0x0a, start);
      const stop = end === -1 ? chunk.length : end;
      if (!this.skipping && this.partBytes + stop - start > this.maxBytes) {
        this.onOverlong();
        this.skipping = true;
        this.parts = [];
        this.partBytes = 0;
      }
      if (end === -1) {
        // The caller may reuse its chunk: the start of the next line is copied.
        if (!this.skipping && stop > start) {
          this.parts.push(Buffer.from(chunk.subarray(start)));
          this.partBytes += stop - start;
        }
        return;
      }
      if (this.skipping) this.skipping = false;
      else if (this.partBytes === 0) this.onLine(chunk, start, end);
      else {
        this.parts.push(chunk.subarray(start, end));
        const line = Buffer.concat(this.parts);
        this.parts = [];
        this.partBytes = 0;
        this.onLine(line, 0, line.length);
      }
      start = end + 1;
    }
  }

  /** What followed the last newline (a last line without one), if anything; the splitter is then empty. */
  end(): Buffer | undefined {
    if (this.partBytes === 0) return undefined;
    const rest = Buffer.concat(this.parts);
    this.parts = [];
    this.partBytes = 0;
    return rest;
  }
}
