/**
 * GitHub's published REST description (`@octokit/openapi`, api.github.com, OpenAPI 3.0.3) turned into
 * a request/response checker for the fake GitHub server: route matching on the path templates,
 * parameter and body validation with ajv, and response validation so the fake cannot drift from
 * the real shapes. Also builds minimal valid objects from a schema, which the fake fills in.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FormatsPlugin } from 'ajv-formats';

// ajv-formats is CommonJS whose typed default export is not callable under NodeNext; require it.
const addFormats = createRequire(import.meta.url)('ajv-formats') as FormatsPlugin;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Schema = { [key: string]: Json };

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  operationId: string;
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> } | { $ref: string };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: Schema }> }>;
}

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  names: string[];
  literalSegments: number;
  operation: Operation;
  /** Parameters declared on the path item and on the operation, refs resolved. */
  parameters: Parameter[];
}

export interface MatchedRoute {
  operationId: string;
  template: string;
  pathParams: Record<string, unknown>;
  query: Record<string, unknown>;
}

export type RequestCheck =
  | { ok: true; route: MatchedRoute; body: unknown }
  | { ok: false; status: number; problems: string[]; operationId?: string };

const SPEC_ID = 'https://api.github.com/openapi.json';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

let shared: GitHubOpenApi | undefined;

/** One parsed and compiled description per process: parsing 13 MB takes a moment. */
export function gitHubOpenApi(): GitHubOpenApi {
  shared ??= new GitHubOpenApi();
  return shared;
}

export class GitHubOpenApi {
  readonly spec: {
    paths: Record<string, Record<string, unknown>>;
    components: Record<string, Record<string, Json>>;
  };
  private readonly ajv: Ajv;
  private readonly routes: Route[] = [];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor() {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
    this.spec = JSON.parse(readFileSync(file, 'utf8'));
    toJsonSchema(this.spec as unknown as Json);
    // strict: false because OpenAPI adds keywords JSON Schema does not know (example, readOnly,
    // discriminator, x-github); unknown formats (repo.nwo, uri-template) are ignored, not failed.
    this.ajv = new Ajv({
      strict: false,
      allErrors: true,
      validateSchema: false,
      logger: { log() {}, warn() {}, error: console.error },
    });
    addFormats(this.ajv);
    this.ajv.addSchema(this.spec as unknown as Schema, SPEC_ID);
    for (const [template, item] of Object.entries(this.spec.paths)) {
      const shared = (item.parameters as Route['operation']['parameters']) ?? [];
      for (const method of METHODS) {
        const operation = item[method] as Operation | undefined;
        if (!operation) continue;
        const names: string[] = [];
        const segments = template.split('/').slice(1);
        const source = segments
          .map((segment) =>
            segment.replace(/\{([^}]+)\}|[^{]+/g, (part, name: string | undefined) => {
              if (name === undefined) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
              names.push(name);
              return '([^/]+)';
            }),
          )
          .join('/');
        const parameters = [...shared, ...(operation.parameters ?? [])].map(
          (p) => this.deref(p) as unknown as Parameter,
        );
        this.routes.push({
          method: method.toUpperCase(),
          template,
          pattern: new RegExp(`^/${source}$`),
          names,
          literalSegments: segments.filter((s) => !s.includes('{')).length,
          operation,
          parameters,
        });
      }
    }
  }

  /** Resolves a local `$ref` (possibly chained) into the object it points at. */
  deref<T>(value: T | { $ref: string }): T {
    let current: unknown = value;
    for (let hops = 0; hops < 16; hops++) {
      const ref = (current as { $ref?: unknown })?.$ref;
      if (typeof ref !== 'string') return current as T;
      current = ref
        .replace(/^#\//, '')
        .split('/')
        .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], this.spec);
      if (current === undefined) throw new Error(`unresolvable $ref ${ref}`);
    }
    throw new Error('$ref chain too long');
  }

  /** The operation a method + path (no query) names, or undefined. Literal segments beat parameters. */
  match(method: string, path: string): { route: Route; pathParams: Record<string, string> } | undefined {
    let best: { route: Route; pathParams: Record<string, string> } | undefined;
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const found = route.pattern.exec(path);
      if (!found) continue;
      if (best && best.route.literalSegments >= route.literalSegments) continue;
      const pathParams: Record<string, string> = {};
      route.names.forEach((name, i) => {
        pathParams[name] = decodeURIComponent(found[i + 1]);
      });
      best = { route, pathParams };
    }
    return best;
  }

  /** Whether any method is described for this path (so a wrong method is a 405-like mistake, not a 404). */
  knowsPath(path: string): boolean {
    return this.routes.some((route) => route.pattern.test(path));
  }

  checkRequest(method: string, path: string, search: URLSearchParams, body: unknown): RequestCheck {
    const found = this.match(method, path);
    if (!found) {
      const problems = this.knowsPath(path)
        ? [`${method} is not described for ${path}`]
        : [`no operation in GitHub's OpenAPI description matches ${method} ${path}`];
      return { ok: false, status: 404, problems };
    }
    const { route, pathParams } = found;
    const problems: string[] = [];
    const typedPath: Record<string, unknown> = {};
    const query: Record<string, unknown> = {};
    for (const parameter of route.parameters) {
      if (parameter.in === 'path') {
        const value = coerce(pathParams[parameter.name], parameter.schema);
        typedPath[parameter.name] = value;
        problems.push(...this.validate(parameter.schema ?? {}, value, `path parameter ${parameter.name}`));
      } else if (parameter.in === 'query') {
        const raw = search.getAll(parameter.name);
        if (raw.length === 0) {
          if (parameter.required) problems.push(`query parameter ${parameter.name} is required`);
          continue;
        }
        const value =
          parameter.schema?.type === 'array' ? raw : coerce(raw[raw.length - 1], parameter.schema);
        query[parameter.name] = value;
        problems.push(...this.validate(parameter.schema ?? {}, value, `query parameter ${parameter.name}`));
      }
    }
    // GitHub ignores unknown query parameters; a client sending one almost surely meant something else.
    const declared = new Set(route.parameters.filter((p) => p.in === 'query').map((p) => p.name));
    for (const name of new Set(search.keys())) {
      if (!declared.has(name)) problems.push(`unknown query parameter ${name}`);
    }
    const requestBody = route.operation.requestBody ? this.deref(route.operation.requestBody) : undefined;
    const bodySchema = requestBody?.content?.['application/json']?.schema;
    if (body !== undefined) {
      if (!bodySchema) problems.push(`${route.operation.operationId} takes no JSON body`);
      else {
        problems.push(...this.validate(bodySchema, body, 'body'));
        problems.push(...this.undeclaredProperties(bodySchema, body));
      }
    } else if (requestBody?.required) {
      problems.push('a JSON body is required');
    }
    if (problems.length > 0) {
      return { ok: false, status: 422, problems, operationId: route.operation.operationId };
    }
    return {
      ok: true,
      route: {
        operationId: route.operation.operationId,
        template: route.template,
        pathParams: typedPath,
        query,
      },
      body,
    };
  }

  /** Problems with a response the fake is about to send (status must be described; JSON must fit). */
  checkResponse(operationId: string, status: number, body: unknown): string[] {
    const route = this.routes.find((r) => r.operation.operationId === operationId);
    if (!route) return [`unknown operation ${operationId}`];
    const described = route.operation.responses[String(status)];
    if (!described) return [`${operationId} does not describe a ${status} response`];
    const schema = this.deref(described).content?.['application/json']?.schema;
    if (!schema) return body === undefined ? [] : [`${operationId} ${status} has no JSON body`];
    return this.validate(schema, body, `response ${status}`);
  }

  /** Schema of the JSON response `operationId` returns with `status`. */
  responseSchema(operationId: string, status: number): Schema {
    const route = this.routes.find((r) => r.operation.operationId === operationId);
    const schema =
      route && this.deref(route.operation.responses[String(status)]).content?.['application/json']?.schema;
    if (!schema) throw new Error(`${operationId} has no JSON ${status} response`);
    return schema;
  }

  /** A component schema by name (`#/components/schemas/<name>`). */
  component(name: string): Schema {
    const schema = (this.spec.components.schemas as Record<string, Schema>)[name];
    if (!schema) throw new Error(`no component schema ${name}`);
    return schema;
  }

  /**
   * The smallest object that satisfies `schema`: required properties only, nullable ones null, enums
   * their first value. The fake overlays its real state on it, so responses carry every field
   * GitHub promises without the fake hand-writing hundreds of them.
   */
  minimal(schema: Schema, depth = 0): Json {
    const s = this.deref(schema) as Schema;
    if (depth > 40) throw new Error('schema too deep for a minimal value');
    if (Array.isArray(s.allOf)) {
      return (s.allOf as Schema[]).reduce<Json>((acc, part) => merge(acc, this.minimal(part, depth + 1)), {});
    }
    const branches = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
    if (Array.isArray(branches)) {
      if (branches.some((b) => (this.deref(b) as Schema).type === 'null')) return null;
      return this.minimal(branches[0], depth + 1);
    }
    if (Array.isArray(s.type) && s.type.includes('null')) return null;
    if (Array.isArray(s.enum)) return s.enum[0];
    const type = Array.isArray(s.type) ? s.type[0] : s.type;
    if (type === 'object' || (type === undefined && s.properties)) {
      const out: Record<string, Json> = {};
      const properties = (s.properties ?? {}) as Record<string, Schema>;
      for (const key of (s.required ?? []) as string[]) {
        out[key] = properties[key] ? this.minimal(properties[key], depth + 1) : null;
      }
      return out;
    }
    if (type === 'array') return [];
    if (type === 'integer' || type === 'number') return typeof s.minimum === 'number' ? s.minimum : 1;
    if (type === 'boolean') return false;
    if (type === 'string') {
      if (s.format === 'date-time') return '2026-01-01T00:00:00Z';
      if (s.format === 'uri') return 'https://github.com';
      if (s.format === 'email') return 'octocat@github.com';
      return '';
    }
    return null;
  }

  /** Minimal value of `schema` with `overlay` merged over it. */
  build(schema: Schema, overlay: Json): Json {
    return merge(this.minimal(schema), overlay);
  }

  private validate(schema: Schema, value: unknown, where: string): string[] {
    const key = JSON.stringify(schema);
    let validator = this.compiled.get(key);
    if (!validator) {
      // Compile against the whole description so `#/components/...` refs resolve inside it.
      validator = this.ajv.compile(rebase(schema) as Schema);
      this.compiled.set(key, validator);
    }
    if (validator(value)) return [];
    return (validator.errors ?? []).map((e: ErrorObject) =>
      `${where}${e.instancePath || ''} ${e.message ?? ''}`.trim(),
    );
  }

  /** Top-level body properties the operation does not declare: typos GitHub would silently ignore. */
  private undeclaredProperties(schema: Schema, body: unknown): string[] {
    const s = this.deref(schema) as Schema;
    if (
      !s.properties ||
      s.additionalProperties ||
      typeof body !== 'object' ||
      body === null ||
      Array.isArray(body)
    ) {
      return [];
    }
    const known = new Set(Object.keys(s.properties as object));
    return Object.keys(body)
      .filter((key) => !known.has(key))
      .map((key) => `body has property ${key}, which the operation does not declare`);
  }
}

/** Makes local refs absolute so a schema compiled on its own resolves them in the description. */
function rebase(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] =
      key === '$ref' && typeof value === 'string' && value.startsWith('#') ? SPEC_ID + value : rebase(value);
  }
  return out;
}

/**
 * OpenAPI 3.0 -> JSON Schema, in place: `nullable: true` becomes a null alternative (ajv only accepts
 * `nullable` next to `type`, and GitHub puts it beside allOf/$ref too); `oneOf` becomes `anyOf`
 * because GitHub's description has overlapping branches (a body that fits two of them is valid to
 * GitHub, but "must match exactly one" would reject it).
 */
function toJsonSchema(node: Json): void {
  if (Array.isArray(node)) {
    node.forEach(toJsonSchema);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const value of Object.values(node)) toJsonSchema(value);
  if (Array.isArray(node.oneOf)) {
    node.anyOf = node.oneOf;
    delete node.oneOf;
  }
  if (node.nullable === true) {
    delete node.nullable;
    if (Array.isArray(node.enum) && !node.enum.includes(null)) node.enum.push(null);
    if (typeof node.type === 'string') {
      node.type = [node.type, 'null'];
    } else {
      const inner: Record<string, Json> = {};
      for (const key of Object.keys(node)) {
        if (key === 'description' || key === 'title') continue;
        inner[key] = node[key];
        delete node[key];
      }
      node.anyOf = [inner, { type: 'null' }];
    }
  }
}

function coerce(value: string | undefined, schema: Schema | undefined): unknown {
  if (value === undefined || !schema) return value;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if ((type === 'integer' || type === 'number') && value.trim() !== '' && !Number.isNaN(Number(value))) {
    return Number(value);
  }
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/** Deep merge for plain objects; anything else in `overlay` replaces what is in `base`. */
export function merge(base: Json, overlay: Json): Json {
  if (isObject(base) && isObject(overlay)) {
    const out: Record<string, Json> = { ...base };
    for (const [key, value] of Object.entries(overlay)) {
      if (value === undefined) continue;
      out[key] = key in out ? merge(out[key], value) : value;
    }
    return out;
  }
  return overlay === undefined ? base : overlay;
}

function isObject(value: Json): value is { [key: string]: Json } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
