// Listing the executions of every tenant that ended with one status other than `succeeded`,
// newest first (GET /v1/executions, admin only): served by the partial index
// executions_unsucceeded (status, id DESC), whose condition the literal `status <> 'succeeded'`
// lets the planner use. The optional function filter is checked on the index's rows. A `before`
// cursor that names no execution with that status lists nothing, like the tenant-scoped list: it
// is looked up once, as a scalar subquery (NULL when unknown, and `id < NULL` holds for no row;
// an EXISTS there made the planner sort the whole status instead of walking the index).

export interface AllListShape {
  function: boolean;
  before: boolean;
  from?: boolean;
  to?: boolean;
}

/** The statement cache's key of a shape (distinct from the tenant-scoped list's keys). */
export function listAllShapeKey(shape: AllListShape): string {
  return `all:${shape.function ? 'f' : ''}${shape.before ? 'b' : ''}${shape.from === true ? '>' : ''}${shape.to === true ? '<' : ''}`;
}

export function listAllExecutionsSql(shape: AllListShape): string {
  const status = "status = @status AND status <> 'succeeded'";
  const where = [status];
  if (shape.function) where.push('function = @function');
  if (shape.before) where.push(`id < (SELECT id FROM executions WHERE ${status} AND id = @before)`);
  // A time range is a range of ids: it narrows the same walk of the index.
  if (shape.from === true) where.push('id >= @fromId');
  if (shape.to === true) where.push('id < @toId');
  return `SELECT * FROM executions INDEXED BY executions_unsucceeded WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT @limit`;
}
