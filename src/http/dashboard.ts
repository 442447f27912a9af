// GET /dashboard: a static page that watches an app's orders live. It talks to the
// public GraphQL API only (queries, and the orderEvents subscription over SSE) with the
// server key the user types in, kept in the tab's sessionStorage and sent in a header.
import { readFileSync } from 'node:fs';
import { json } from './json.js';

interface Asset {
  body: string;
  type: string;
}

const ASSET_TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
};

let assets: Map<string, Asset> | undefined;

/** Read once, on first use (the files sit beside this module in the source tree). */
function loadAssets(): Map<string, Asset> {
  assets ??= new Map(
    Object.entries(ASSET_TYPES).map(([name, type]) => [name, { body: readFileSync(new URL(`./dashboard/${name}`, import.meta.url), 'utf8'), type }]),
  );
  return assets;
}

const SECURITY_HEADERS = {
  // Same-origin scripts, styles and API calls only; the page is never framed.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

export function dashboard(request: Request, path: string): Response {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return json({ error: 'method not allowed' }, 405, { allow: 'GET, HEAD' });
  }
  if (path === '/dashboard') {
    return new Response(null, { status: 308, headers: { location: '/dashboard/' } });
  }
  const name = path === '/dashboard/' ? 'index.html' : path.slice('/dashboard/'.length);
  const asset = loadAssets().get(name);
  if (!asset) return json({ error: `no such dashboard file: ${name}` }, 404);
  return new Response(request.method === 'HEAD' ? null : asset.body, { headers: { 'content-type': asset.type, ...SECURITY_HEADERS } });
}
