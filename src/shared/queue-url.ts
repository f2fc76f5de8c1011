// Queue URLs as every side reads them (the app's settings, `--queue` on the CLI and server, workers):
// redis://[[user]:password@]host[:port][/db], or rediss://… for TLS. Checked here without connecting; shown with the
// password masked.
import { z } from 'zod'

/** Why `url` is not a queue URL (a sentence without the field), or null when it is one. */
export function queueUrlProblem(url: string): string | null {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return `'${url}' is not a URL (expected redis://HOST:PORT or rediss://:PASSWORD@HOST:PORT)`
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return `expected a redis:// or rediss:// URL, got '${u.protocol}'`
  if (!u.hostname) return 'the URL has no host'
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0
  if (!Number.isInteger(db) || db < 0) return `'${u.pathname.slice(1)}' is not a database number`
  return null
}

/** The URL for people and logs: the password replaced by ***. */
export function maskQueueUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(invalid URL)'
  }
}

/** A queue URL in an API call or a settings file: refused with the reason, naming the field. */
export const queueUrlSchema = z.string().max(2048).superRefine((url, ctx) => {
  const problem = queueUrlProblem(url)
  if (problem) ctx.addIssue({ code: 'custom', message: problem })
})
