import type { IndexedFile } from './pypi-index.js';
import { servedApiVersion } from './simple-wire.js';
import type { VisibleProject } from './visible-project.js';

/**
 * A PEP 503 HTML project page: one anchor per visible file, text equal to the file name, with
 * `#sha256=`, `data-requires-python` (PEP 503), `data-yanked` (PEP 592), `data-core-metadata`
 * and the older `data-dist-info-metadata` (PEP 714), and the `pypi:repository-version` meta tag
 * (PEP 629). Every value is escaped.
 */
export function renderSimpleHtml(name: string, project: VisibleProject, urlOf: (file: IndexedFile) => string): Buffer {
  const lines = project.files.map((file) => anchor(file, urlOf(file)));
  return page(`Links for ${name}`, lines);
}

export function renderProjectListHtml(names: string[]): Buffer {
  return page('Simple index', names.map((name) => `    <a href="${escapeHtml(`${name}/`)}">${escapeHtml(name)}</a><br/>`));
}

function anchor({ upstream, artifact }: IndexedFile, url: string): string {
  let attrs = `href="${escapeHtml(`${url}#sha256=${artifact.digests.sha256}`)}"`;
  if (upstream.requiresPython !== null) attrs += ` data-requires-python="${escapeHtml(upstream.requiresPython)}"`;
  if (upstream.metadataSha256) {
    const value = escapeHtml(`sha256=${upstream.metadataSha256}`);
    attrs += ` data-dist-info-metadata="${value}" data-core-metadata="${value}"`;
  }
  if (upstream.yanked !== false) attrs += ` data-yanked="${upstream.yanked === true ? '' : escapeHtml(upstream.yanked)}"`;
  return `    <a ${attrs}>${escapeHtml(upstream.filename)}</a><br/>`;
}

function page(title: string, lines: string[]): Buffer {
  const t = escapeHtml(title);
  return Buffer.from(
    [
      '<!DOCTYPE html>',
      '<html>',
      '  <head>',
      '    <meta charset="utf-8">',
      `    <meta name="pypi:repository-version" content="${servedApiVersion}">`,
      `    <title>${t}</title>`,
      '  </head>',
      '  <body>',
      `    <h1>${t}</h1>`,
      ...lines,
      '  </body>',
      '</html>',
      '',
    ].join('\n'),
  );
}

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => entities[c] ?? c);
}
