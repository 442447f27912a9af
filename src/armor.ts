// Query limits (graphql-armor): depth, aliases, tokens, cost, directives. Over-limit
// requests are refused before execution with HTTP 400, code QUERY_TOO_COMPLEX and a
// message naming the limit.
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError, Lexer, Source, TokenKind } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export const queryLimits = {
  maxDepth: 12,
  maxAliases: 15,
  maxTokens: 2000,
  maxCost: 5000,
  maxDirectives: 20,
} as const;

export const QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX';

/**
 * Armor reports a limit as a GraphQLError titled "Syntax Error: …", which Yoga answers
 * with HTTP 200 for plain JSON clients. Throwing our own error from `onReject` instead
 * (armor calls it before its own throw) gives every client a 400 and a stable code.
 */
function refuse(_context: unknown, error: GraphQLError): never {
  const reason = error.message.replace(/^Syntax Error:\s*/, '');
  throw new GraphQLError(`Query refused: ${reason} Simplify the query or split it.`, {
    extensions: { code: QUERY_TOO_COMPLEX, http: { status: 400 } },
  });
}

/** Counts the document's tokens, stopping once past `limit` (comments are not tokens). */
function exceedsTokenLimit(query: string, limit: number): boolean {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (++count > limit) return true;
    }
  } catch {
    // a lexing error: the parser reports it properly
  }
  return false;
}

/**
 * The token limit, checked on the raw parameters. Armor's own check runs inside parsing,
 * and Yoga answers parse errors 200 to `Accept: application/json` clients whatever the
 * error says; refused here, before parsing, the 400 holds for every client.
 */
const tokenLimit: Plugin = {
  onParams({ params }) {
    if (typeof params.query === 'string' && exceedsTokenLimit(params.query, queryLimits.maxTokens)) {
      refuse(null, new GraphQLError(`Token limit of ${queryLimits.maxTokens} exceeded.`));
    }
  },
};

export function armor(): Plugin[] {
  const onReject = [refuse];
  return [
    tokenLimit,
    EnvelopArmorPlugin({
      maxDepth: { n: queryLimits.maxDepth, flattenFragments: true, onReject },
      maxAliases: { n: queryLimits.maxAliases, onReject },
      // still enforced at parse time for documents that skip onParams (graphql-ws)
      maxTokens: { n: queryLimits.maxTokens, onReject },
      costLimit: { maxCost: queryLimits.maxCost, onReject },
      maxDirectives: { n: queryLimits.maxDirectives, onReject },
      blockFieldSuggestion: { enabled: true },
    }) as Plugin,
  ];
}
