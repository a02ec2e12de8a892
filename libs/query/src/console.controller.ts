import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { QUERY_CONFIG, type QueryConfig } from './config';

// The console talks to this origin only; it is never framed, and never leaks its URL (which holds filters).
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

/**
 * `GET /audit`: the console's built files. Hashed assets are cached for good; any other path under
 * /audit is a client-side route and gets index.html. No credential is needed to load the page: the
 * administrator's token is entered in the page and sent only with API calls.
 */
@Controller('audit')
export class ConsoleController {
  constructor(@Inject(QUERY_CONFIG) private readonly config: QueryConfig) {}

  @Get()
  index(@Res() res: Response): void {
    this.sendIndex(res);
  }

  @Get('*path')
  file(@Req() req: Request, @Res() res: Response): void {
    const relative = decodeURIComponent(req.path.replace(/^\/audit\/?/, ''));
    const root = this.config.consoleDir;
    const file = path.resolve(root, relative);
    const inside = file.startsWith(root + path.sep);
    if (inside && existsSync(file) && statSync(file).isFile()) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
      const hashed = relative.startsWith('assets/');
      res.sendFile(file, { maxAge: hashed ? '365d' : 0, immutable: hashed, dotfiles: 'deny' });
      return;
    }
    // A missing asset is a 404; a client-side route (no extension) is the app itself.
    if (path.extname(relative) !== '') {
      res.status(404).json({ error: { code: 'NOT_FOUND', message: `no file ${relative}` } });
      return;
    }
    this.sendIndex(res);
  }

  private sendIndex(res: Response): void {
    const index = path.join(this.config.consoleDir, 'index.html');
    if (!existsSync(index)) {
      res.status(503).json({ error: { code: 'CONSOLE_NOT_BUILT', message: `the console is not built (no ${index}): run npm run build:console` } });
      return;
    }
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  }
}
