// Key/value settings owned by the server (e.g. an instance id).
export const GET_META = `SELECT value FROM meta WHERE key = ?`;

export const SET_META = `
INSERT INTO meta (key, value) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value`;
