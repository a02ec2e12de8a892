import { Controller, Get, Headers, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminAuth, AdminGuard, type TokenPrincipal } from '@audit/auth';
import { EVENT_FILTER_PARAMS, eventFilterNode, readEventFilter } from '@audit/event-filter';
import { AppError, QueryReader } from '@audit/platform';
import { readActivity, ReadRecorder } from '@audit/read-audit';
import { readLastEventId } from './live-tail-frames';
import { LiveTail } from './live-tail';

/**
 * `GET /v1/events/stream`: the caller's organization's events as they are accepted, as Server-Sent
 * Events, filtered by the same parameters as `GET /v1/events` (`search` and the fixed filters). Each
 * stream opened is recorded as a read (a PAGE_VIEW of page "audit" with path /v1/events/stream) before
 * anything is sent, and is not served when that record fails (503).
 */
@Controller('v1')
@UseGuards(AdminGuard)
export class LiveTailController {
  constructor(
    private readonly tail: LiveTail,
    private readonly reads: ReadRecorder,
  ) {}

  @Get('events/stream')
  async stream(
    @Query() query: Record<string, unknown>,
    @Headers('last-event-id') lastEventId: string | undefined,
    @AdminAuth() admin: TokenPrincipal,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const q = new QueryReader(query, EVENT_FILTER_PARAMS);
    const filter = readEventFilter(q);
    if (filter.q !== undefined) q.problem('q', 'is not taken by the live tail: put the text into search');
    const resume = readLastEventId(lastEventId);
    if (resume.problem) q.problem('Last-Event-ID', resume.problem);
    q.done();
    const node = eventFilterNode(filter);
    if (req.method === 'HEAD') {
      // Fastify answers HEAD with this route: the token and filters are checked as for a stream, but none is
      // opened (a HEAD response carries no frames), so no slot is taken and no read is recorded.
      await reply.status(200).headers({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' }).send();
      return;
    }

    const release = this.tail.reserve(admin.organizationId);
    try {
      // Every stream opened is its own record (no coalescing): it shows whatever arrives while it is open.
      await this.reads.add(readActivity(req, admin, { key: 'events/stream', path: '/v1/events/stream', filters: { ...query } }));
    } catch {
      release();
      throw new AppError('BUS_UNAVAILABLE', 'the read could not be recorded in the audit trail, so it is not served: try again shortly');
    }

    const raw = reply.raw;
    // Frames wait until the status and headers are out (the consumer is opened before them, so a refusal is still a plain 503).
    let headed!: () => void;
    const headers = new Promise<void>((resolve) => (headed = resolve));
    const output = {
      write: async (text: string) => {
        await headers;
        return new Promise<void>((resolve) => {
          if (raw.destroyed || raw.writableEnded) return resolve();
          if (raw.write(text)) resolve();
          else raw.once('drain', resolve).once('close', resolve);
        });
      },
      end: () => {
        if (!raw.writableEnded) raw.end();
      },
    };
    const open = await this.tail.start(admin.organizationId, node, resume.after, release, output);
    // From here the response is ours, not Fastify's: a stream of frames until either side ends it.
    reply.hijack();
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Proxies that buffer (nginx) would hold the events back.
      'x-accel-buffering': 'no',
    });
    // How long an EventSource waits before it reconnects, and a first line so clients see the stream is open.
    raw.write(`retry: 2000\n: open\n\n`);
    headed();
    req.raw.once('close', () => void open.close());
  }
}
