import { Transform, type TransformCallback } from 'node:stream';

const LF = 0x0a;

/**
 * Passes JSON lines through and counts them: each event is one line, since JSON text holds no raw line
 * feed (a line feed in a value is written as `\n`). `Buffer.indexOf` (native memchr) finds them.
 */
export class LineRecordTransform extends Transform {
  /** Lines seen (events: a JSON lines export has no header). */
  records = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    for (let at = chunk.indexOf(LF); at !== -1; at = chunk.indexOf(LF, at + 1)) this.records++;
    done(null, chunk);
  }
}
