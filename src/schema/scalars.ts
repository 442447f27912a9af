import { GraphQLError, Kind } from 'graphql';
import type { Builder } from './builder.js';

export function registerScalars(builder: Builder) {
  builder.scalarType('DateTime', {
    description: 'An instant, as an ISO 8601 string in UTC.',
    serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(value as string).toISOString()),
    parseValue: (value) => {
      const date = new Date(value as string);
      if (typeof value !== 'string' || Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be an ISO 8601 string');
      return date;
    },
  });

  // Every BigInt is stored in a PostgreSQL bigint (int8); a larger value must be refused
  // here with a clear message, not by the database as an unexpected error.
  const INT8_MIN = -(2n ** 63n);
  const INT8_MAX = 2n ** 63n - 1n;

  function parseBigInt(text: string): bigint {
    if (!/^-?\d+$/.test(text)) throw new GraphQLError('BigInt must be an integer or a string of digits');
    const value = BigInt(text);
    if (value < INT8_MIN || value > INT8_MAX) throw new GraphQLError(`BigInt must be between ${INT8_MIN} and ${INT8_MAX}`);
    return value;
  }

  builder.scalarType('BigInt', {
    description: 'A 64-bit integer, as a decimal string (money is always minor units).',
    serialize: (value) => BigInt(value as bigint | number | string).toString(),
    parseValue: (value) => {
      if (typeof value !== 'string' && typeof value !== 'number') throw new GraphQLError('BigInt must be an integer or a string of digits');
      return parseBigInt(String(value));
    },
    parseLiteral: (ast) => {
      if (ast.kind === Kind.STRING || ast.kind === Kind.INT) return parseBigInt(ast.value);
      throw new GraphQLError('BigInt must be an integer or a string of digits');
    },
  });

  builder.scalarType('JSON', {
    description: 'Arbitrary JSON (non-secret settings, store payloads).',
    serialize: (value) => value,
    parseValue: (value) => value,
  });
}
