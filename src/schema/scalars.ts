import { GraphQLError, Kind } from 'graphql';
import { builder } from './builder.js';

builder.scalarType('DateTime', {
  description: 'An instant, as an ISO 8601 string in UTC.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(value as string).toISOString()),
  parseValue: (value) => {
    const date = new Date(value as string);
    if (typeof value !== 'string' || Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be an ISO 8601 string');
    return date;
  },
});

builder.scalarType('BigInt', {
  description: 'An integer of any size, as a decimal string (money is always minor units).',
  serialize: (value) => BigInt(value as bigint | number | string).toString(),
  parseValue: (value) => {
    if ((typeof value !== 'string' && typeof value !== 'number') || !/^-?\d+$/.test(String(value))) {
      throw new GraphQLError('BigInt must be an integer or a string of digits');
    }
    return BigInt(value);
  },
  parseLiteral: (ast) => {
    if ((ast.kind === Kind.STRING || ast.kind === Kind.INT) && /^-?\d+$/.test(ast.value)) return BigInt(ast.value);
    throw new GraphQLError('BigInt must be an integer or a string of digits');
  },
});

builder.scalarType('JSON', {
  description: 'Arbitrary JSON (non-secret settings, store payloads).',
  serialize: (value) => value,
  parseValue: (value) => value,
});
