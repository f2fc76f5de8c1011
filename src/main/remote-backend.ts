// The desktop shell's backend choice, without Electron: where it is kept on this machine, and the renderer's
// Content-Security-Policy that follows from it (connect-src: the app's own page, plus exactly the remote server's
// WebSocket origin when one is chosen). The shell (src/main/index.ts, src/main/ipc/backend-choice.ts) wires these in.
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { backendChoiceSchema, remoteSocketOrigin, type BackendChoice } from '../shared/remote-backend'

/** The file, in the app's data directory on this machine (mode 0600: it holds the token). */
export function backendChoiceFile(dataDir: string): string {
  return join(dataDir, 'backend.json')
}

/** The stored choice; this computer when there is none. A damaged file is an error naming the file (not a silent default). */
export async function loadBackendChoice(file: string): Promise<BackendChoice> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { mode: 'local' }
    throw error
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new Error(`${file}: not valid JSON (delete it to use this computer's backend)`)
  }
  const parsed = backendChoiceSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new Error(`${file}: ${issue.path.join('.') || 'mode'}: ${issue.message}`)
  }
  return parsed.data
}

export async function saveBackendChoice(file: string, choice: BackendChoice): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const tmp = `${file}.tmp`
  await writeFile(tmp, JSON.stringify(choice) + '\n', { mode: 0o600 })
  await chmod(tmp, 0o600)
  await rename(tmp, file)
}

/** The choice for people and logs: the origin, never the token. */
export function describeChoice(choice: BackendChoice): string {
  return choice.mode === 'local' ? 'this computer' : choice.url
}

/**
 * The shell's connect-src: 'self' only on this computer (calls go over IPC), 'self' and the remote server's WebSocket
 * origin (ws://host:port or wss://host:port, exactly) with a remote one. Browser mode's loopback sources are dropped:
 * the shell never needs them.
 */
export function shellConnectSrc(choice: BackendChoice): string[] {
  return choice.mode === 'local' ? ["'self'"] : ["'self'", remoteSocketOrigin(choice.url)]
}

const META = /(<meta\s+http-equiv="Content-Security-Policy"\s+content=")([^"]+)(")/i

/** The policy of the renderer's index.html meta tag with connect-src replaced (every other directive kept as built). */
export function shellCsp(html: string, choice: BackendChoice): string {
  const meta = META.exec(html)
  if (!meta) throw new Error('the renderer page has no Content-Security-Policy meta tag')
  const sources = shellConnectSrc(choice)
  const directives = meta[2]!
    .split(';')
    .map((d) => d.trim())
    .filter(Boolean)
  const others = directives.filter((d) => !/^connect-src(\s|$)/.test(d))
  return [...others, `connect-src ${sources.join(' ')}`].join('; ')
}

/** The page with its meta tag carrying shellCsp (the shell serves this instead of the file as built). */
export function withShellCsp(html: string, choice: BackendChoice): string {
  const csp = shellCsp(html, choice)
  return html.replace(META, (_m, a: string, _b: string, c: string) => `${a}${csp}${c}`)
}
