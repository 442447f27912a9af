import type { z } from 'zod';
import { ValidationError } from '../errors.js';

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
