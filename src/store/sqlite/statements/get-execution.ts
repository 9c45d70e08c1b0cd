// One execution, scoped to its tenant: another tenant's id reads as absent.
export const GET_EXECUTION = `SELECT * FROM executions WHERE id = ? AND tenant = ?`;
