// Schedules: create or replace (PUT), read one, list, delete, and list a schedule's occurrences.
// Tenant-scoped like every route: a tenant key reaches only its own tenant's schedules.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AirlockError } from '../../core/errors.js';
import { audit } from '../audit.js';
import { requireTenant } from '../auth.js';
import { errorResponses } from '../error-responses.js';
import { NullableString, TenantParams } from '../schemas.js';
import { RunsQuery, ScheduleBody, ScheduleParams, ScheduleRunView, ScheduleView, scheduleRunView, scheduleView } from '../schedule-schemas.js';
import type { ApiDeps } from '../deps.js';

type Params = { tenant: string; name: string };

export function registerScheduleRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const schedules = deps.schedules;
  app.put<{ Params: Params; Body: ScheduleBody }>(
    '/v1/tenants/:tenant/schedules/:name',
    {
      schema: {
        operationId: 'putSchedule',
        tags: ['schedules'],
        summary: 'Create or replace a schedule: runs a function as a background job on a cron expression or an interval',
        params: ScheduleParams,
        body: ScheduleBody,
        response: { 200: ScheduleView, 201: ScheduleView, ...errorResponses('FUNCTION_NOT_FOUND', 'INPUT_TOO_LARGE') },
      },
    },
    async (request, reply) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      const { schedule, created } = await schedules.put(tenant, name, request.body);
      audit(request, 'schedule.set', tenant, `schedule/${name}`, { function: schedule.function, created });
      return reply.status(created ? 201 : 200).send(scheduleView(schedule, created));
    },
  );

  app.get<{ Params: Params }>(
    '/v1/tenants/:tenant/schedules/:name',
    {
      schema: {
        operationId: 'getSchedule',
        tags: ['schedules'],
        summary: 'Read one schedule',
        params: ScheduleParams,
        response: { 200: ScheduleView, ...errorResponses('SCHEDULE_NOT_FOUND') },
      },
    },
    async (request) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      return scheduleView(await schedules.get(tenant, name));
    },
  );

  app.get<{ Params: { tenant: string } }>(
    '/v1/tenants/:tenant/schedules',
    {
      schema: {
        operationId: 'listSchedules',
        tags: ['schedules'],
        summary: "List a tenant's schedules by name",
        params: TenantParams,
        response: { 200: Type.Object({ schedules: Type.Array(ScheduleView) }), ...errorResponses() },
      },
    },
    async (request) => {
      const { tenant } = request.params;
      requireTenant(request, tenant);
      return { schedules: (await schedules.list(tenant)).map((s) => scheduleView(s)) };
    },
  );

  app.delete<{ Params: Params }>(
    '/v1/tenants/:tenant/schedules/:name',
    {
      schema: {
        operationId: 'deleteSchedule',
        tags: ['schedules'],
        summary: 'Delete a schedule (the jobs it fired are kept)',
        params: ScheduleParams,
        response: { 204: Type.Null(), ...errorResponses('SCHEDULE_NOT_FOUND', 'INPUT_TOO_LARGE') },
      },
    },
    async (request, reply) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      await schedules.delete(tenant, name);
      audit(request, 'schedule.delete', tenant, `schedule/${name}`);
      return reply.status(204).send();
    },
  );

  app.get<{ Params: Params; Querystring: RunsQuery }>(
    '/v1/tenants/:tenant/schedules/:name/runs',
    {
      schema: {
        operationId: 'listScheduleRuns',
        tags: ['schedules'],
        summary: "A schedule's occurrences, newest first: fired (with the job), skipped (with the reason), or failed to fire",
        params: ScheduleParams,
        querystring: RunsQuery,
        response: { 200: Type.Object({ runs: Type.Array(ScheduleRunView), next: NullableString() }), ...errorResponses('SCHEDULE_NOT_FOUND') },
      },
    },
    async (request) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      const before = request.query.before === undefined ? undefined : Date.parse(request.query.before);
      if (before !== undefined && Number.isNaN(before)) {
        throw new AirlockError('VALIDATION_FAILED', `before must be an ISO time such as 2026-01-15T09:00:00Z, got ${JSON.stringify(request.query.before)}`);
      }
      const limit = request.query.limit ?? 50;
      const runs = (await schedules.runs(tenant, name, limit, before)).map(scheduleRunView);
      // A full page may have more after it: the next page is the runs before its last occurrence.
      const next = runs.length === limit ? runs[runs.length - 1]!.occurrenceAt : null;
      return { runs, next };
    },
  );
}
