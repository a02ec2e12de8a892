export { buildOpenApiDocument } from './openapi-document';
export { renderReferencePage } from './reference-page';
export { OpenApiController } from './openapi.controller';
