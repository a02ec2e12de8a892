import type { FastifyInstance } from 'fastify';
import { findPrototypeKey, jsonMayHoldPrototypeKey } from '@audit/contracts';
import { AppError } from './errors';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Request bodies are JSON, and only JSON: `application/json` bodies are decoded as strict
 * UTF-8 and parsed; every other type (`text/plain` included, which Fastify would hand over as a string)
 * answers 415 before any route runs.
 *
 * Fastify's own JSON parser decodes the body as a string stream, so bytes that are not UTF-8 become
 * U+FFFD in silence (or, when a character is cut across chunks, the body no longer matches its
 * Content-Length and the client is told so): a stored audit event would then differ from what was
 * sent. Here the whole body is taken as bytes and decoded with a fatal decoder, so such a body is a
 * 400 that says what is wrong, and nothing is stored. The parse itself stays Fastify's (empty and
 * malformed bodies answered as before); prototype keys (`__proto__`, `constructor.prototype`) are then
 * refused by the contract's rule, the one the bus applies to events, with the path of the key.
 */
export function acceptJsonBodiesOnly(fastify: FastifyInstance): void {
  // 'ignore': plain JSON.parse; the contract's rule below refuses the same keys secure-json-parse would.
  const parseJson = fastify.getDefaultJsonParser('ignore', 'ignore');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body: Buffer, done) => {
    // Bodies are read as sent: a compressed one was parsed as if it were plain (gzip of JSON is a 400 about
    // UTF-8 or JSON that never names the cause, and plain JSON labelled gzip was accepted as it stood).
    const encoding = req.headers['content-encoding']?.trim().toLowerCase();
    if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
      done(new AppError('UNSUPPORTED_MEDIA_TYPE', `request bodies are not decompressed: send them without Content-Encoding (got ${encoding.slice(0, 64)})`), undefined);
      return;
    }
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      done(new AppError('BAD_REQUEST', `request body is not valid UTF-8 (at byte ${firstInvalidUtf8Byte(body)}): send JSON encoded as UTF-8`), undefined);
      return;
    }
    void parseJson(req, text, (error, parsed) => {
      const found = error || !jsonMayHoldPrototypeKey(text) ? undefined : findPrototypeKey(parsed, '');
      if (found !== undefined) {
        done(new AppError('BAD_REQUEST', `request body: ${found.path} ${found.reason}`), undefined);
        return;
      }
      done(error, parsed);
    });
  });
}

/** The offset of the first byte of the first sequence that is not UTF-8 (for the error message only). */
export function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  let low = 0;
  let high = bytes.length;
  // The longest prefix a streaming decoder accepts, found by halving: it accepts every shorter prefix
  // too (a character cut at the end is only "incomplete", never an error).
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (decodesWithin(bytes.subarray(0, mid))) low = mid;
    else high = mid - 1;
  }
  // That prefix may end inside the character that turned out bad: report where the character began.
  let start = low - 1;
  while (start >= 0 && low - start <= 3 && (bytes[start] & 0xc0) === 0x80) start--;
  if (start < 0 || bytes[start] < 0xc0) return low;
  const length = bytes[start] >= 0xf0 ? 4 : bytes[start] >= 0xe0 ? 3 : 2;
  return length > low - start ? start : low;
}

function decodesWithin(prefix: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(prefix, { stream: true });
    return true;
  } catch {
    return false;
  }
}
