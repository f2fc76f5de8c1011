// Texts for the recurrent family's language models: the corpora shipped with the app and the UTF-8 files a user imports
// (stored under <dataDir>/texts/<name>.txt). Imports are validated before anything is written: size cap, valid UTF-8,
// not empty; errors name the field.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ApiError, type TextSummary } from '../../shared/api'
import { MAX_TEXT_CHARS, type TextSource } from '../../shared/families/recurrent'
import sonnets from '../../../resources/corpora/sonnets.txt?raw'
import { writeFileAtomic } from './backend'

/** The shipped corpora (resources/corpora/README.md gives their provenance and licence status). */
const CORPORA: Record<string, { name: string; text: string; source: string }> = {
  sonnets: { name: 'Shakespeare, nine sonnets', text: sonnets, source: 'public domain (1609; Project Gutenberg eBook #1041), shipped with Engram' }
}

/** The largest import in bytes (UTF-8 takes at most 4 bytes a character). */
export const MAX_TEXT_BYTES = 4 * MAX_TEXT_CHARS
const TEXTS_DIR = 'texts'
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

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
    if (bytes.byteLength === 0) throw new ApiError({ code: 'bad-request', field: `${field}.content`, message: `${field}.content: the file is empty` })
    if (bytes.byteLength > MAX_TEXT_BYTES) {
      throw new ApiError({ code: 'bad-request', field: `${field}.content`, message: `${field}.content: ${bytes.byteLength} bytes is over the ${MAX_TEXT_BYTES}-byte limit` })
    }
    let text: string
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    } catch {
      throw new ApiError({ code: 'bad-request', field: `${field}.content`, message: `${field}.content: not valid UTF-8 (is it a text file?)` })
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    const chars = [...text].length
    if (text.trim().length === 0) throw new ApiError({ code: 'bad-request', field: `${field}.content`, message: `${field}.content: the text has no characters but white space` })
    if (chars > MAX_TEXT_CHARS) throw new ApiError({ code: 'bad-request', field: `${field}.content`, message: `${field}.content: ${chars} characters is over the ${MAX_TEXT_CHARS} limit` })
    const dir = this.dir()
    if (!dir) throw new ApiError({ code: 'failed', message: 'texts.import: this backend has no data directory' })
    mkdirSync(dir, { recursive: true })
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
