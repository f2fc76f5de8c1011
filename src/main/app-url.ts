// Which URLs are the app's own page: the packaged renderer (a file:// URL) or, in development, the dev server's origin.
// Pure string logic, shared by the window's navigation guards (index.ts) and the IPC sender check (ipc/register.ts).

/** The origin of a URL, or null when it is not one. */
function originOf(url: string): string | null {
  try {
    return new URL(url).origin
  } catch {
    return null
  }
}

/**
 * True for the dev server's origin (compared whole: 'http://localhost:5173.evil.example' is not
 * 'http://localhost:5173'), and, with `files`, for file:// URLs (the packaged renderer).
 */
export function isAppUrl(url: string, devUrl: string | undefined, options: { files: boolean }): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (options.files && parsed.protocol === 'file:') return true
  return devUrl !== undefined && originOf(devUrl) !== null && parsed.origin === originOf(devUrl)
}
