import type { OpenAPIObject } from '@nestjs/swagger';

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

type Obj = Record<string, unknown>;
const asObj = (value: unknown): Obj => (value !== null && typeof value === 'object' ? (value as Obj) : {});

/** A schema in one line: `#/components/schemas/X` links to its section, else its type. */
function schemaText(schema: unknown): string {
  const s = asObj(schema);
  if (typeof s.$ref === 'string') {
    const name = s.$ref.split('/').pop() ?? s.$ref;
    return `<a href="#schema-${escapeHtml(name)}">${escapeHtml(name)}</a>`;
  }
  if (Array.isArray(s.anyOf)) return s.anyOf.map(schemaText).join(' or ');
  if (s.type === 'array') return `array of ${schemaText(s.items)}`;
  const type = Array.isArray(s.type) ? s.type.join(' | ') : String(s.type ?? 'any');
  const format = typeof s.format === 'string' ? ` (${s.format})` : '';
  return escapeHtml(Array.isArray(s.enum) ? `${type}: ${s.enum.map(String).join(', ')}` : `${type}${format}`);
}

const json = (value: unknown): string => `<pre>${escapeHtml(JSON.stringify(value, null, 2))}</pre>`;

function contentHtml(content: unknown): string {
  return Object.entries(asObj(content))
    .map(([type, media]) => `<div><code>${escapeHtml(type)}</code> ${schemaText(asObj(media).schema)}${asObj(media).example === undefined ? '' : json(asObj(media).example)}</div>`)
    .join('');
}

function operationHtml(path: string, method: string, op: Obj): string {
  const params = Array.isArray(op.parameters) ? (op.parameters as Obj[]) : [];
  const security = Array.isArray(op.security) ? (op.security as Obj[]).flatMap((s) => Object.keys(s)) : [];
  const body = asObj(op.requestBody);
  return [
    `<section id="${escapeHtml(`${method}-${path}`)}"><h3><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h3>`,
    `<p>${escapeHtml(String(op.summary ?? ''))}.${op.description ? ` ${escapeHtml(String(op.description))}` : ''}</p>`,
    `<p>Credential: ${security.length === 0 ? 'none' : security.map(escapeHtml).join(' or ')}</p>`,
    params.length === 0
      ? ''
      : `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>schema</th><th>description</th></tr>${params
          .map((p) => `<tr><td><code>${escapeHtml(String(p.name))}</code>${p.required ? ' (required)' : ''}</td><td>${escapeHtml(String(p.in))}</td><td>${schemaText(p.schema)}</td><td>${escapeHtml(String(p.description ?? ''))}</td></tr>`)
          .join('')}</table>`,
    op.requestBody === undefined ? '' : `<h4>Request body</h4>${contentHtml(body.content)}`,
    `<h4>Answers</h4><table><tr><th>status</th><th>meaning</th><th>body</th></tr>${Object.entries(asObj(op.responses))
      .map(([status, r]) => `<tr><td>${escapeHtml(status)}</td><td>${escapeHtml(String(asObj(r).description ?? ''))}</td><td>${contentHtml(asObj(r).content)}</td></tr>`)
      .join('')}</table></section>`,
  ].join('');
}

/** The reference page: every operation (parameters, request body, answers) and every named schema, from the document alone. */
export function renderReferencePage(doc: OpenAPIObject): string {
  const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(asObj(item)).map(([method, op]) => operationHtml(path, method, asObj(op))));
  const schemas = Object.entries(asObj(doc.components?.schemas)).map(([name, schema]) => `<section id="schema-${escapeHtml(name)}"><h3>${escapeHtml(name)}</h3>${json(schema)}</section>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)} reference</title>
<style>body{font:14px/1.4 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem;text-align:left;vertical-align:top}pre{background:#f6f6f6;padding:.5rem;overflow:auto;max-height:24rem}section{margin-bottom:2rem}</style>
</head><body><h1>${escapeHtml(doc.info.title)} (version ${escapeHtml(doc.info.version)})</h1>
<p>${escapeHtml(doc.info.description ?? '')} The machine-readable document: <a href="/v1/openapi.json">/v1/openapi.json</a>.</p>
<h2>Operations</h2>${operations.join('\n')}
<h2>Schemas</h2>${schemas.join('\n')}
</body></html>`;
}
