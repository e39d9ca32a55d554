import type { z } from 'zod';
import { UserError } from '../errors.ts';

/**
 * Validates parsed data against a zod schema; the first issue becomes a UserError naming the
 * file and the dotted field path, with the schema's message as the fix.
 */
export function validate<T extends z.ZodType>(schema: T, data: unknown, file: string): z.infer<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
  throw new UserError(issue.message, { file, field, fix: fixFor(issue) });
}

function fixFor(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `set ${issue.path.join('.') || 'it'} to a ${issue.expected}`;
    case 'invalid_value':
      return `use one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `remove ${issue.keys.join(', ')} (unknown field; check the spelling)`;
    default:
      return 'see the schema in the documentation';
  }
}
