import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../errors.ts';
import { parseSpec } from './spec.ts';

const committed = readFileSync(new URL('../../mlship.yaml', import.meta.url), 'utf8');

describe('mlship.yaml', () => {
  it('accepts the committed spec and fills defaults', () => {
    const spec = parseSpec(committed, 'mlship.yaml');
    expect(spec.model).toBe('flight-delay');
    expect(spec.features.map((f) => f.kind)).toContain('categorical');
    expect(spec.drift.min_rows).toBe(1000);
    expect(spec.gates.max).toEqual({});
  });

  it('names the file, the field and a fix for a wrong value', () => {
    const bad = committed.replace('task: binary', 'task: ranking');
    expect(() => parseSpec(bad, 'mlship.yaml')).toThrowError(UserError);
    expect(() => parseSpec(bad, 'mlship.yaml')).toThrowError(
      /mlship\.yaml: task: .*fix: use one of: "binary"/,
    );
  });

  it('names nested fields by their path', () => {
    const bad = committed.replace('kind: numeric }', 'kind: number }');
    expect(() => parseSpec(bad, 'mlship.yaml')).toThrowError(/features\.2\.kind/);
  });

  it('refuses unknown fields, so typos do not pass silently', () => {
    const bad = committed.replace('target: delayed', 'target: delayed\ntargett: x');
    expect(() => parseSpec(bad, 'mlship.yaml')).toThrowError(/targett.*unknown field/);
  });

  it('refuses a target that is also a feature', () => {
    const bad = committed.replace('target: delayed', 'target: origin');
    expect(() => parseSpec(bad, 'mlship.yaml')).toThrowError(/target/);
  });

  it('reports YAML syntax errors with the file', () => {
    expect(() => parseSpec('schema: [1', 'x/mlship.yaml')).toThrowError(/x\/mlship\.yaml: invalid YAML/);
  });
});
