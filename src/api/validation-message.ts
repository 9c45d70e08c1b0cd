// The message of a failed request validation: Ajv's, with what it leaves in each error's params
// spelled out (the allowed values of an enum; the property that is not allowed, and the allowed
// ones where the route's schema lists them; for a pattern, the rule its schema describes instead
// of the regular expression), and a query parameter given more than once named as such (the
// query parser makes it a list, which Ajv would call "must be integer").
import type { FastifyError, FastifyRequest } from 'fastify';

type Issue = NonNullable<FastifyError['validation']>[number];
type Schema = Record<string, unknown>;

export function validationMessage(err: FastifyError, request: FastifyRequest): string {
  const issues = err.validation ?? [];
  if (issues.length === 0) return err.message;
  const context = err.validationContext ?? 'request';
  return issues.map((issue) => describeIssue(issue, context, request)).join(', ');
}

function describeIssue(issue: Issue, context: string, request: FastifyRequest): string {
  const where = `${context}${issue.instancePath}`;
  const params = issue.params as Record<string, unknown>;
  const repeated = repeatedQueryParameter(issue, context, request);
  if (repeated !== undefined) {
    return `${where} was given more than once (${repeated} times); give it once`;
  }
  if (issue.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    return `${where} must be one of ${params.allowedValues.map(valueText).join(', ')}`;
  }
  if (issue.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    const allowed = allowedProperties(request, context, issue.instancePath);
    const list = allowed === undefined ? '' : ` (allowed: ${allowed.length === 0 ? 'none' : allowed.join(', ')})`;
    return `${where} has an unexpected property ${JSON.stringify(params.additionalProperty)}${list}`;
  }
  if (issue.keyword === 'format' && params.format === 'date-time') {
    const inQuery = context === 'querystring' ? ' (in a URL, write the + of an offset as %2B)' : '';
    return `${where} must be an RFC 3339 date and time with its offset, e.g. 2026-12-07T08:00:00Z or 2026-12-07T09:00:00+01:00${inQuery}`;
  }
  if (issue.keyword === 'pattern') {
    const rule = schemaAt(request, context, issue.instancePath);
    if (isSchema(rule) && typeof rule.description === 'string') return `${where} does not follow its rule: ${rule.description}`;
  }
  return `${where} ${issue.message ?? `fails ${issue.keyword}`}`;
}

/**
 * How many times the query parameter the issue is about was given, when more than once and its
 * schema does not take a list: the query parser turned the repeats into an array.
 */
function repeatedQueryParameter(issue: Issue, context: string, request: FastifyRequest): number | undefined {
  if (context !== 'querystring' || !/^\/[^/]+$/.test(issue.instancePath)) return undefined;
  const name = issue.instancePath.slice(1).replaceAll('~1', '/').replaceAll('~0', '~');
  const value = isSchema(request.query) ? request.query[name] : undefined;
  if (!Array.isArray(value) || value.length < 2) return undefined;
  const schema = childSchema((request.routeOptions.schema as Schema | undefined)?.querystring, name);
  const types = isSchema(schema) ? [schema.type].flat() : [];
  return types.includes('array') ? undefined : value.length;
}

function valueText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The route's schema of the value at `instancePath` of the request part `context`, if it can tell. */
function schemaAt(request: FastifyRequest, context: string, instancePath: string): unknown {
  let schema = (request.routeOptions.schema as Schema | undefined)?.[context];
  for (const segment of instancePath.split('/').slice(1)) {
    schema = childSchema(schema, segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  }
  return schema;
}

/** The properties the route's schema lists for the object at `instancePath`, if it can tell. */
function allowedProperties(request: FastifyRequest, context: string, instancePath: string): string[] | undefined {
  const schema = schemaAt(request, context, instancePath);
  const properties = isSchema(schema) ? schema.properties : undefined;
  return isSchema(properties) ? Object.keys(properties) : undefined;
}

function childSchema(schema: unknown, segment: string): unknown {
  if (!isSchema(schema)) return undefined;
  if (isSchema(schema.properties) && Object.hasOwn(schema.properties, segment)) return schema.properties[segment];
  if (/^\d+$/.test(segment) && isSchema(schema.items)) return schema.items;
  return undefined;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
