// Schemas of a function's version routes: the version list with what each version's hash covers,
// making an existing version the latest again (a rollback), and reading a version's source.
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { EgressView, FunctionView, LimitsView, VERSION_NAME_DOC } from './schemas.js';

const VERSION = Type.String({ minLength: 1, maxLength: 64, description: VERSION_NAME_DOC });

export const VersionsView = Type.Object({
  latest: Type.String({ description: 'the version invocations run when they name none' }),
  versions: Type.Array(
    Type.Object({
      version: Type.String(),
      runtime: Type.String(),
      limits: LimitsView,
      isolation: Type.String(),
      egress: Type.Optional(EgressView),
      createdAt: Type.String({ format: 'date-time', description: 'when this content was first deployed' }),
    }),
    { description: 'by first deploy, newest first; with the settings each version\'s hash covers besides its source (no source: GET …/code?version=)' },
  ),
});

export const SetLatestBody = Type.Object(
  { version: VERSION },
  { additionalProperties: false },
);
export type SetLatestBody = Static<typeof SetLatestBody>;

/** The answer to a rollback: the function as GET shows it, and which version was the latest before. */
export const LatestSetView = Type.Composite([
  FunctionView,
  Type.Object({
    previousVersion: Type.String({
      description: 'the version that was the latest before this request; equal to version when it already was (nothing changed)',
    }),
  }),
]);

/** The source of a version, as deployed. */
export const CodeResponse = {
  description:
    'the source exactly as deployed (the deploy\'s `code`, TypeScript included, not the JavaScript it was turned into), UTF-8: ' +
    'text/javascript for runtime javascript, text/plain for typescript (which has no registered media type)',
  headers: {
    'x-airlock-version': { type: 'string', description: 'the version this source is of (the latest when none was named)' },
    'x-airlock-runtime': { type: 'string', description: 'javascript or typescript: deploy it again with this runtime' },
  },
  content: {
    'text/javascript': { schema: { type: 'string' } },
    'text/plain': { schema: { type: 'string' } },
  },
};
