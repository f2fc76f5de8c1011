// Where Engram keeps its data: one directory shared by the desktop app, `engram serve` and the CLI.
import { homedir } from 'node:os'
import { join } from 'node:path'

/** Default data directory per platform; ENGRAM_DATA_DIR overrides it. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.ENGRAM_DATA_DIR) return env.ENGRAM_DATA_DIR
  const home = homedir()
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Engram')
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Engram')
  return join(env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'engram')
}

export const SESSIONS_DB = 'sessions.sqlite'
export const EXPORTS_DIR = 'exports'
/** The backend's settings (where jobs run), written by settings.update. */
export const SETTINGS_FILE = 'settings.json'
