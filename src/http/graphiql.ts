// GraphiQL from this server's own files: Yoga's default page loads GraphiQL from a CDN,
// which leaves a blank page offline and runs third-party script on the API origin. The
// bundle comes from @graphql-yoga/render-graphiql (one ~9 MB module, imported on the first
// GraphiQL request only) and is served as separate, cacheable files under /graphiql/.
import type { GraphiQLOptions } from 'graphql-yoga';
import { json } from './json.js';

/** The example operations GraphiQL opens with (until the browser has saved tabs of its own). */
export const graphiqlExamples: { title: string; query: string; variables?: string }[] = [
  {
    title: 'Create a product',
    query: `# 1. Set the header  {"Authorization": "Bearer zd_sk_…"}  (the server key printed at first start),
#    then run this to create a product your store sells.
mutation CreateProduct {
  createProduct(input: { store: NOWGG, sku: "gems_100", storeProductId: "gems_100", type: CONSUMABLE, name: "100 gems" }) {
    __typename
    ... on ProductPayload { product { id sku store storeProductId type name } }
    ... on Error { code message }
  }
}
`,
  },
  {
    title: 'Mint a player token',
    query: `# 2. A short-lived player token for one player. A game client sends it as X-Player-Token
#    together with the client key (Authorization: Bearer zd_pk_…).
mutation MintPlayerToken {
  createPlayerToken(input: { playerId: "player-42", ttlSeconds: 3600 }) {
    __typename
    ... on CreatePlayerTokenPayload { token expiresAt playerId }
    ... on Error { code message }
  }
}
`,
  },
  {
    title: 'A purchase',
    query: `# 3. Report a now.gg purchase (needs a now.gg store account: createStoreAccount).
#    ZeroDrop verifies it with now.gg, grants it once, and consumes it.
#    Huawei: finishPurchase(input: { purchaseData }) — Huya: the store calls ZeroDrop itself.
mutation Purchase($purchaseToken: String!) {
  consumePurchase(input: { playerId: "player-42", productId: "gems_100", purchaseToken: $purchaseToken }) {
    __typename
    ... on ConsumePurchasePayload {
      newlyDelivered
      order { id status store storeOrderId quantity price { amountMinor currency } entitlements { kind quantity product { sku } } }
    }
    ... on Error { code message retryable }
  }
}
`,
    variables: '{ "purchaseToken": "token-from-the-nowgg-sdk" }',
  },
  {
    title: 'Watch orders',
    query: `# 4. Every order change of the app, live (replays from the beginning with after: "0").
subscription WatchOrders {
  orderEvents(after: "0") {
    id
    type
    createdAt
    order { id status store storeOrderId playerId }
  }
}
`,
  },
];

/** GraphiQL settings for Yoga's `graphiql` option. */
export function graphiqlOptions(): GraphiQLOptions {
  return {
    title: 'ZeroDrop GraphiQL',
    defaultTabs: graphiqlExamples.map(({ query, variables }) => ({ query, ...(variables ? { variables } : {}) })),
    headers: JSON.stringify({ Authorization: 'Bearer zd_sk_…' }, null, 2),
    // Keys must not sit in localStorage unless the user asks GraphiQL to keep them.
    shouldPersistHeaders: false,
    subscriptionsProtocol: 'SSE',
  };
}

/** JSON inside <script>: "</script>" and "<!--" in a value must not end or comment out the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** Yoga's `renderGraphiQL`: the page only; scripts and styles come from /graphiql/. */
export function renderGraphiQLPage(options: GraphiQLOptions): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${(options.title ?? 'GraphiQL').replace(/[<&"]/g, '')}</title>
    <link rel="icon" href="/graphiql/favicon.ico" />
    <link rel="stylesheet" href="/graphiql/graphiql.css" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>GraphiQL needs JavaScript.</noscript>
    <div id="root"></div>
    <script type="application/json" id="graphiql-options">${scriptJson(options)}</script>
    <script src="/graphiql/graphiql.js"></script>
  </body>
</html>
`;
}

/** Monaco's editor workers by label, each a file under /graphiql/. */
const WORKERS = { editorWorkerService: 'editor.worker.js', json: 'json.worker.js', graphql: 'graphql.worker.js' } as const;

// Runs before the GraphiQL bundle (Monaco reads MonacoEnvironment when it loads) and after it.
const BEFORE = `self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: function (moduleId, label) {
  var files = ${JSON.stringify(WORKERS)};
  return '/graphiql/' + (files[label] || files.editorWorkerService);
} };
`;
const AFTER = `;
YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), JSON.parse(document.getElementById('graphiql-options').textContent));
`;

interface Asset {
  body: string | Uint8Array<ArrayBuffer>;
  type: string;
}

let assets: Promise<Map<string, Asset>> | undefined;

function loadAssets(): Promise<Map<string, Asset>> {
  assets ??= import('@graphql-yoga/render-graphiql/graphiql').then((bundle) => {
    const js = 'text/javascript; charset=utf-8';
    const favicon = bundle.favicon.replace(/^data:[^,]*;base64,/, '');
    return new Map<string, Asset>([
      ['graphiql.js', { body: BEFORE + bundle.js + AFTER, type: js }],
      ['graphiql.css', { body: bundle.css, type: 'text/css; charset=utf-8' }],
      [WORKERS.editorWorkerService, { body: bundle.editorWorkerService, type: js }],
      [WORKERS.json, { body: bundle.jsonWorker, type: js }],
      [WORKERS.graphql, { body: bundle.graphqlWorker, type: js }],
      ['favicon.ico', { body: new Uint8Array(Buffer.from(favicon, 'base64')), type: 'image/x-icon' }],
    ]);
  });
  return assets;
}

/**
 * What GraphiQL's page may load: this origin only. Monaco and GraphiQL set inline styles;
 * GraphiQL's bundle evaluates nothing and needs no inline script.
 */
export const GRAPHIQL_CSP =
  "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** GET /graphiql/<file>. */
export async function graphiqlAsset(request: Request, path: string): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return json({ error: 'method not allowed' }, 405, { allow: 'GET, HEAD' });
  }
  const asset = (await loadAssets()).get(path.slice('/graphiql/'.length));
  if (!asset) return json({ error: 'no such GraphiQL file' }, 404);
  return new Response(request.method === 'HEAD' ? null : asset.body, {
    headers: {
      'content-type': asset.type,
      'x-content-type-options': 'nosniff',
      // The files change only with the package version; a day keeps reloads cheap.
      'cache-control': 'public, max-age=86400',
    },
  });
}
