// Query limits (graphql-armor): depth, aliases, tokens, cost, directives. Over-limit
// requests are refused before execution with a clear message.
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { Plugin } from 'graphql-yoga';

export const queryLimits = {
  maxDepth: 12,
  maxAliases: 15,
  maxTokens: 2000,
  maxCost: 5000,
  maxDirectives: 20,
} as const;

export function armor(): Plugin {
  return EnvelopArmorPlugin({
    maxDepth: { n: queryLimits.maxDepth, flattenFragments: true },
    maxAliases: { n: queryLimits.maxAliases },
    maxTokens: { n: queryLimits.maxTokens },
    costLimit: { maxCost: queryLimits.maxCost },
    maxDirectives: { n: queryLimits.maxDirectives },
    blockFieldSuggestion: { enabled: true },
  }) as Plugin;
}
