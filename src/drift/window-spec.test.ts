import { describe, expect, it } from 'vitest';
import { parseWindow } from './window-spec.ts';

describe('parseWindow', () => {
  const now = new Date('2026-05-10T12:00:00Z');
  it('reads a month', () => {
    expect(parseWindow({ month: '2001-12' })).toEqual({
      from: new Date('2001-12-01T00:00:00Z'),
      to: new Date('2002-01-01T00:00:00Z'),
    });
  });
  it('reads from/to as dates or times in UTC', () => {
    expect(parseWindow({ from: '2001-06-01', to: '2001-06-02T06:00' })).toEqual({
      from: new Date('2001-06-01T00:00:00Z'),
      to: new Date('2001-06-02T06:00:00Z'),
    });
    expect(parseWindow({ from: '2026-05-10T10:00:00+02:00' }, now).from).toEqual(
      new Date('2026-05-10T08:00:00Z'),
    );
  });
  it('reads a duration ending now or at to', () => {
    expect(parseWindow({ last: '24h' }, now).from).toEqual(new Date('2026-05-09T12:00:00Z'));
    expect(parseWindow({ last: '7d', to: '2001-07-01' }, now).from).toEqual(new Date('2001-06-24T00:00:00Z'));
  });
  it('explains mistakes', () => {
    expect(() => parseWindow({}, now)).toThrow(/not given/);
    expect(() => parseWindow({ last: '3 weeks' }, now)).toThrow(/24h/);
    expect(() => parseWindow({ from: 'yesterday' }, now)).toThrow(/not a time/);
    expect(() => parseWindow({ from: '2026-05-11' }, now)).toThrow(/empty/);
    expect(() => parseWindow({ month: '2001-13' })).toThrow(/YYYY-MM/);
    expect(() => parseWindow({ month: '2001-06', last: '1d' })).toThrow(/not both/);
  });
});
