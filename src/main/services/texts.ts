// Texts for the recurrent family's language models: the corpora shipped with the app and the UTF-8 files a user imports
// (stored under <dataDir>/texts/<name>.txt). Imports are validated before anything is written: size cap, valid UTF-8,
// not empty; errors name the field. A spec file's text file (engram run) is checked the same way (readTextFile).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { ApiError, type TextSummary } from '../../shared/api'
import { MAX_TEXT_CHARS, type TextSource } from '../../shared/families/recurrent'
import sonnets from '../../../resources/corpora/sonnets.txt?raw'
import { atomicTempPid, removeLeftovers, writeFileAtomic } from './atomic'

/** The shipped corpora (resources/corpora/README.md gives their provenance and licence status). */
const CORPORA: Record<string, { name: string; text: string; source: string }> = {
  sonnets: { name: 'Shakespeare, nine sonnets', text: sonnets, source: 'public domain (1609; Project Gutenberg eBook #1041), shipped with Engram' }
}

/** The largest import in bytes (UTF-8 takes at most 4 bytes a character). */
export const MAX_TEXT_BYTES = 4 * MAX_TEXT_CHARS
const TEXTS_DIR = 'texts'
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/** The text of a UTF-8 file's bytes (a BOM dropped), refused naming `field` when empty, too big, not UTF-8 or blank. */
export function decodeText(bytes: Uint8Array, field: string): string {
  const refuse = (message: string): never => {
    throw new ApiError({ code: 'bad-request', field, message: `${field}: ${message}` })
  }
  if (bytes.byteLength === 0) refuse('the file is empty')
  if (bytes.byteLength > MAX_TEXT_BYTES) refuse(`${bytes.byteLength} bytes is over the ${MAX_TEXT_BYTES}-byte limit`)
  let text = ''
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    refuse('not valid UTF-8 (is it a text file?)')
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  if (text.trim().length === 0) refuse('the text has no characters but white space')
  const chars = [...text].length
  if (chars > MAX_TEXT_CHARS) refuse(`${chars} characters is over the ${MAX_TEXT_CHARS} limit`)
  return text
}

/** A UTF-8 text file given by its path (a spec's text), checked as an import is; every error names `field`. */
export function readTextFile(path: string, field: string): { name: string; text: string } {
  const read = <T>(what: () => T): T => {
    try {
      return what()
    } catch (error) {
      throw new ApiError({ code: 'not-found', field, message: `${field}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` })
    }
  }
  const size = read(() => statSync(path).size)
  if (size > MAX_TEXT_BYTES) throw new ApiError({ code: 'bad-request', field, message: `${field}: ${path}: ${size} bytes is over the ${MAX_TEXT_BYTES}-byte limit` })
  const bytes = read(() => new Uint8Array(readFileSync(path)))
  return { name: basename(path), text: decodeText(bytes, field) }
}

export class TextCatalog {
  constructor(private readonly dataDir: string | null) {}

  private dir(): string | null {
    return this.dataDir ? join(this.dataDir, TEXTS_DIR) : null
  }

  list(): TextSummary[] {
    const out: TextSummary[] = Object.entries(CORPORA).map(([id, c]) => ({ id: `corpus:${id}`, name: c.name, chars: [...c.text].length, source: c.source }))
    const dir = this.dir()
    if (dir && existsSync(dir)) {
      for (const f of readdirSync(dir).sort()) {
        if (!f.endsWith('.txt')) continue
        const name = f.slice(0, -4)
        out.push({ id: `user-text:${name}`, name, chars: [...readFileSync(join(dir, f), 'utf8')].length, source: `imported (${statSync(join(dir, f)).size} bytes)` })
      }
    }
    return out
  }

  /** Validates and stores a user text; returns its summary. */
  import(name: string, bytes: Uint8Array, field: string): TextSummary {
    if (!NAME.test(name)) throw new ApiError({ code: 'bad-request', field: `${field}.name`, message: `${field}.name: use letters, digits, _ . - (at most 64), not '${name}'` })
    const text = decodeText(bytes, `${field}.content`)
    const chars = [...text].length
    const dir = this.dir()
    if (!dir) throw new ApiError({ code: 'failed', message: 'texts.import: this backend has no data directory' })
    mkdirSync(dir, { recursive: true })
    // Temporary files of imports that a kill cut short (their process gone) go first.
    removeLeftovers(dir, atomicTempPid)
    writeFileAtomic(join(dir, `${name}.txt`), new TextEncoder().encode(text))
    return { id: `user-text:${name}`, name, chars, source: `imported (${bytes.byteLength} bytes)` }
  }

  /** The text a spec names; a missing one is refused naming `field`. */
  read(source: TextSource, field: string): { name: string; text: string } {
    if ('corpus' in source) {
      const c = CORPORA[source.corpus]
      if (!c) throw new ApiError({ code: 'not-found', field: `${field}.corpus`, message: `${field}.corpus: no shipped corpus '${source.corpus}'` })
      return { name: c.name, text: c.text }
    }
    const name = source.file.slice('user-text:'.length)
    const dir = this.dir()
    const path = dir ? join(dir, `${name}.txt`) : null
    if (!path || !existsSync(path)) throw new ApiError({ code: 'not-found', field: `${field}.file`, message: `${field}.file: no imported text '${name}' (import it first: texts.import)` })
    return { name, text: readFileSync(path, 'utf8') }
  }
}
