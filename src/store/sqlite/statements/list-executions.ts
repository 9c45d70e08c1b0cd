// Listing executions newest first. The optional filters give 8 shapes; each shape is one SQL
// text (prepared once by the store and cached) served by one of the (tenant, …, id DESC) indexes.
// A `before` cursor that names no execution of the tenant lists nothing (rather than paging from
// wherever the id would sort): its existence is one primary-key lookup, done once per query.

export interface ListShape {
  function: boolean;
  status: boolean;
  before: boolean;
}

export function listShapeKey(shape: ListShape): string {
  return `${shape.function ? 'f' : ''}${shape.status ? 's' : ''}${shape.before ? 'b' : ''}`;
}

export function listExecutionsSql(shape: ListShape): string {
  const where = ['tenant = @tenant'];
  if (shape.function) where.push('function = @function');
  if (shape.status) where.push('status = @status');
  if (shape.before) where.push('id < @before', 'EXISTS (SELECT 1 FROM executions WHERE tenant = @tenant AND id = @before)');
  return `SELECT * FROM executions WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT @limit`;
}
