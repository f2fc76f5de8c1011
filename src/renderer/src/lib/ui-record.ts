// A session's saved page state is untrusted JSON: each reader checks that a record is a plain object before its fields.
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
