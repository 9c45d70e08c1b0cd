// Listing executions newest first. The optional filters give 8 shapes; each shape is one SQL
// text (prepared once by the store and cached) served by one of the (tenant, …, id DESC) indexes.

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
  if (shape.before) where.push('id < @before');
  return `SELECT * FROM executions WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT @limit`;
}
