import { UserError } from '../errors.ts';

/**
 * The window a drift-check covers, as people write it: `from`/`to` as ISO-8601 times or dates
 * (dates are UTC midnight), a month (`2001-06`), or `last` as a duration ending now or at `to`
 * (`24h`, `7d`, `90m`). `to` is exclusive.
 */
export interface WindowInput {
  from?: string;
  to?: string;
  last?: string;
  month?: string;
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

export function parseWindow(input: WindowInput, now = new Date()): { from: Date; to: Date } {
  const given = (value?: string) => value !== undefined && value.trim() !== '';
  if (given(input.month)) {
    const match = /^(\d{4})-(\d{2})$/.exec(input.month!.trim());
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 12) {
      throw new UserError(`month "${input.month}" is not YYYY-MM`, {
        field: 'month',
        fix: 'write e.g. 2001-06',
      });
    }
    if (given(input.from) || given(input.to) || given(input.last)) {
      throw new UserError('give either a month or from/to/last, not both', {
        field: 'month',
        fix: 'drop one',
      });
    }
    const year = Number(match[1]);
    const month = Number(match[2]);
    return { from: new Date(Date.UTC(year, month - 1, 1)), to: new Date(Date.UTC(year, month, 1)) };
  }
  const to = given(input.to) ? time(input.to!, 'to') : now;
  let from: Date;
  if (given(input.last)) {
    if (given(input.from))
      throw new UserError('give either from or last, not both', { field: 'last', fix: 'drop one' });
    const match = /^(\d+(?:\.\d+)?)\s*([mhdw])$/.exec(input.last!.trim());
    if (!match)
      throw new UserError(`duration "${input.last}" is not like 24h, 7d or 90m`, {
        field: 'last',
        fix: 'write a number and m, h, d or w',
      });
    from = new Date(to.getTime() - Number(match[1]) * UNIT_MS[match[2]]);
  } else if (given(input.from)) {
    from = time(input.from!, 'from');
  } else {
    throw new UserError('the window is not given', {
      field: 'from',
      fix: 'pass from (and to), last (e.g. 24h) or month (YYYY-MM)',
    });
  }
  if (from.getTime() >= to.getTime()) {
    throw new UserError(`the window is empty: ${from.toISOString()} is not before ${to.toISOString()}`, {
      field: 'from',
      fix: 'make from earlier than to',
    });
  }
  return { from, to };
}

function time(value: string, field: string): Date {
  const text = value.trim();
  // A bare date is midnight UTC (JavaScript already reads YYYY-MM-DD so); a time without a zone is UTC too.
  const normalised = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? `${text}Z` : text;
  const ms = Date.parse(normalised);
  if (Number.isNaN(ms)) {
    throw new UserError(`"${value}" is not a time`, {
      field,
      fix: 'use ISO-8601, e.g. 2001-06-01 or 2001-06-01T12:00:00Z',
    });
  }
  return new Date(ms);
}
