import { Controller, Get, Header } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { buildOpenApiDocument } from './openapi-document';
import { renderReferencePage } from './reference-page';

/** `GET /v1/openapi.json` and `GET /v1/reference`: built once per process, no credential (the API's shape is no secret). */
@Controller('v1')
export class OpenApiController {
  private readonly document: OpenAPIObject = buildOpenApiDocument();
  private readonly page: string = renderReferencePage(this.document);

  @Get('openapi.json')
  openapi(): OpenAPIObject {
    return this.document;
  }

  @Get('reference')
  @Header('Content-Type', 'text/html; charset=utf-8')
  // Inline styles only: no script, no other origin.
  @Header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
  @Header('X-Content-Type-Options', 'nosniff')
  reference(): string {
    return this.page;
  }
}
