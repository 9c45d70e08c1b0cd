// Listing executions newest first. The optional filters give 64 shapes; each shape is one SQL
// text (prepared once by the store and cached) served by one of the (tenant, …, id DESC) indexes
// (a job's runs by the partial one on job_id). A time range is a range of ids (ids begin with the
// time they were made), so it narrows the same index walk.
// A `before` cursor that names no execution of the tenant lists nothing (rather than paging from
// wherever the id would sort): its existence is one primary-key lookup, done once per query.

export interface ListShape {
  function: boolean;
  status: boolean;
  job?: boolean;
  before: boolean;
  from?: boolean;
  to?: boolean;
}

export function listShapeKey(shape: ListShape): string {
  return `${shape.function ? 'f' : ''}${shape.status ? 's' : ''}${shape.job === true ? 'j' : ''}${shape.before ? 'b' : ''}${shape.from === true ? '>' : ''}${shape.to === true ? '<' : ''}`;
}

export function listExecutionsSql(shape: ListShape): string {
  const where = ['tenant = @tenant'];
  if (shape.function) where.push('function = @function');
  if (shape.status) where.push('status = @status');
  if (shape.job === true) where.push('job_id = @job');
  if (shape.before) where.push('id < @before', 'EXISTS (SELECT 1 FROM executions WHERE tenant = @tenant AND id = @before)');
  if (shape.from === true) where.push('id >= @fromId');
  if (shape.to === true) where.push('id < @toId');
  // Without statistics the planner walks the tenant's whole primary key for a job's runs (it
  // satisfies the order): the job index is named, so an old job's runs are found at once.
  const from = shape.job === true ? 'executions INDEXED BY executions_tenant_job_id' : 'executions';
  return `SELECT * FROM ${from} WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT @limit`;
}
