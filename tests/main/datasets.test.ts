// Imported IDX datasets: validated before anything is written, then usable like the built-ins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { encodeIdx } from '../../src/core/data/idx'
import type { Backend } from '../../src/main/services/backend'
import { makeBackend, tempDir, trainModel } from '../helpers/backend'

let tmp: ReturnType<typeof tempDir>
let backend: Backend

/** 12 images of 4×5: image k has pixel (k mod 20) bright; labels k mod 3. */
function idxFiles(): { images: Uint8Array; labels: Uint8Array } {
  const data = new Uint8Array(12 * 20)
  for (let k = 0; k < 12; k++) data[k * 20 + (k % 20)] = 255
  const images = encodeIdx({ dtype: 'uint8', dims: [12, 4, 5], data })
  const labels = encodeIdx({ dtype: 'uint8', dims: [12], data: Uint8Array.from({ length: 12 }, (_, k) => k % 3) })
  return { images, labels }
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')

beforeAll(() => {
  tmp = tempDir('engram-datasets-')
  backend = makeBackend(tmp.dir)
})
afterAll(async () => {
  await backend.close()
  tmp.cleanup()
})

describe('imported datasets', () => {
  it('imports gzipped IDX images with labels and serves them like a built-in', async () => {
    const { images, labels } = idxFiles()
    const summary = await backend.call('datasets.import', { name: 'Tiny Set', images: b64(gzipSync(images)), labels: b64(labels) })
    expect(summary).toMatchObject({ id: 'user:tiny-set', count: 12, width: 5, height: 4 })
    expect((await backend.call('datasets.list', {})).map((d) => d.id)).toContain('user:tiny-set')
    const page = await backend.call('datasets.get', { id: 'user:tiny-set', offset: 3, limit: 2 })
    expect(page.labels).toEqual(['0', '1'])
    expect(page.patterns[0]!.filter((v) => v === 1)).toHaveLength(1)
    expect(page.patterns[0]![3]).toBe(1)
    const s = await backend.call('sessions.create', { name: 'imported' })
    const trained = await trainModel(backend, { sessionId: s.id, dataset: { builtin: 'user:tiny-set', count: 3 }, model: { kind: 'hopfield' } })
    expect(trained).toMatchObject({ units: 20, patterns: 3, width: 5, height: 4 })
  })

  it('refuses bad files, naming the field, and writes nothing', async () => {
    const { images, labels } = idxFiles()
    const before = readdirSync(join(tmp.dir, 'datasets')).sort()
    const truncated = images.slice(0, images.length - 7)
    await expect(backend.call('datasets.import', { name: 'bad1', images: b64(truncated) })).rejects.toMatchObject({ code: 'bad-request', field: 'params.images' })
    await expect(backend.call('datasets.import', { name: 'bad2', images: b64(labels) })).rejects.toThrow(/params\.images: .*images file/)
    const wrongCount = encodeIdx({ dtype: 'uint8', dims: [5], data: new Uint8Array(5) })
    await expect(backend.call('datasets.import', { name: 'bad3', images: b64(images), labels: b64(wrongCount) })).rejects.toThrow('params.labels: 5 labels for 12 images')
    await expect(backend.call('datasets.import', { name: 'bad4', images: b64(Uint8Array.of(0x1f, 0x8b, 1, 2, 3)) })).rejects.toThrow(/params\.images: gzip data is corrupt/)
    await expect(backend.call('datasets.import', { name: 'Tiny Set', images: b64(images) })).rejects.toThrow(/exists already/)
    await expect(backend.call('datasets.get', { id: 'user:nope' })).rejects.toThrow("params.id: no dataset 'user:nope'")
    expect(readdirSync(join(tmp.dir, 'datasets')).sort()).toEqual(before)
    expect(existsSync(join(tmp.dir, 'datasets', 'bad1'))).toBe(false)
  })
})
