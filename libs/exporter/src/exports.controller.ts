import { Readable } from 'node:stream';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminAuth, AdminGuard, bearerOf, InvalidTokenError, TokensService, type TokenPrincipal } from '@audit/auth';
import { AppError, clientIp, QueryParameters } from '@audit/platform';
import { ExportsService, type ExportView } from './exports.service';

/**
 * `POST /v1/exports` and `GET /v1/exports` (administrators, own organization only) and
 * `GET /v1/exports/:id/download` (the signed link is the credential; no bearer needed).
 */
@Controller('v1/exports')
export class ExportsController {
  constructor(
    private readonly exports: ExportsService,
    private readonly tokens: TokensService,
  ) {}

  @Post()
  @QueryParameters()
  @HttpCode(202)
  @UseGuards(AdminGuard)
  request(@Body() body: unknown, @AdminAuth() admin: TokenPrincipal, @Req() req: FastifyRequest): Promise<{ id: string; status: 'pending' }> {
    return this.exports.request(admin, body, clientIp(req.ip));
  }

  @Get()
  @UseGuards(AdminGuard)
  list(@AdminAuth() admin: TokenPrincipal, @Query() query: Record<string, unknown>): Promise<{ items: ExportView[]; nextCursor?: string }> {
    // A plain copy: Fastify's parsed query has no prototype.
    return this.exports.list(admin.organizationId, { ...query });
  }

  @Get(':id/download')
  @QueryParameters('expires', 'signature')
  async download(@Param('id') id: string, @Query('expires') expires: unknown, @Query('signature') signature: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const caller = await this.optionalCaller(req);
    // Fastify answers HEAD with this GET route: it checks the link and describes the file, but hands out
    // nothing, so it neither opens the file nor records a read.
    const file = req.method === 'HEAD' ? await this.exports.head(id, expires, signature, caller) : await this.exports.download(id, expires, signature, caller, clientIp(req.ip));
    reply.status(200).headers({ 'Content-Type': 'application/gzip', 'Content-Disposition': `attachment; filename="${file.fileName}"`, 'Cache-Control': 'private, no-store' });
    if (file.sizeBytes !== null) reply.header('Content-Length', String(file.sizeBytes));
    // Fastify pipes the stream and ends (or destroys) the response with it. To a HEAD it sends no body
    // and keeps the Content-Length set above for a stream (an absent body would be answered as length 0).
    await reply.send('body' in file ? file.body : Readable.from([]));
  }

  /** A bearer token is optional on a download; when sent it must be valid (and is matched to the job's organization). */
  private async optionalCaller(req: FastifyRequest): Promise<TokenPrincipal | null> {
    const token = bearerOf(req);
    if (!token) return null;
    try {
      return await this.tokens.verify(token);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new AppError('UNAUTHENTICATED', error.message);
      throw error;
    }
  }
}
