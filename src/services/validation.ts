import type { z } from 'zod';
import { ValidationError } from '../platform/errors.js';
import { Prisma } from '../generated/prisma/client.js';

/** Parses with zod, turning failures into a typed ValidationError naming each field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const fieldErrors = parsed.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(input)',
    message: issue.message,
  }));
  throw new ValidationError(
    `Invalid ${what}: ${fieldErrors.map((f) => `${f.path}: ${f.message}`).join('; ')}`,
    fieldErrors,
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The nil UUID: a well-formed id that no row has. */
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * An id to look a row up by. Every table's id is a UUID column, which PostgreSQL refuses
 * to compare with anything else ("invalid input syntax for type uuid", a masked 500);
 * an id that cannot be a row's simply matches nothing instead.
 */
export function rowId(id: string): string {
  return isUuid(id) ? id : NIL_UUID;
}

/** A unique index refused the write (two requests raced for the same natural key). */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}
