// Provider table, thread defaults, CPU fallback with a recorded reason, and the session cache.
import { describe, expect, it } from 'vitest'
import { buildHopfieldRecallModel } from '../../src/engine/programs/hopfield-recall'
import {
  createSession,
  defaultThreads,
  listAvailableProviders,
  platformProviders,
  probeProviders,
  providerOrder
} from '../../src/engine/providers'
import { SessionCache } from '../../src/engine/session-cache'

describe('providers', () => {
  it('prefers the platform accelerator, then cpu', () => {
    expect(platformProviders('linux', 'x64')).toEqual(['cuda', 'cpu'])
    expect(platformProviders('linux', 'arm64')).toEqual(['cpu'])
    expect(platformProviders('win32', 'x64')).toEqual(['dml', 'cpu'])
    expect(platformProviders('darwin', 'arm64')).toEqual(['coreml', 'cpu'])
    expect(platformProviders('darwin', 'x64')).toEqual(['cpu'])
    expect(providerOrder('cuda')).toEqual(['cuda', 'cpu'])
    expect(providerOrder('cpu')).toEqual(['cpu'])
    expect(providerOrder('auto', 'win32', 'x64')).toEqual(['dml', 'cpu'])
  })

  it('uses one thread on small machines, at most four and half the cores elsewhere', () => {
    expect([1, 2, 3, 4, 8, 16, 64].map(defaultThreads)).toEqual([1, 1, 1, 2, 4, 4, 4])
  })

  it('lists cpu among the available providers', () => {
    expect(listAvailableProviders()).toContain('cpu')
  })

  it('probes which providers load: cpu always, the others usable or failed with a reason', async () => {
    const probe = await probeProviders()
    expect(probe.usable).toContain('cpu')
    for (const p of platformProviders()) {
      expect(probe.usable.includes(p) !== p in probe.failed).toBe(true)
    }
    for (const reason of Object.values(probe.failed)) expect(reason.length).toBeGreaterThan(0)
  })

  it("falls back to cpu with a reason when 'cuda' cannot load (or runs on cuda where it can)", async () => {
    const model = buildHopfieldRecallModel({ units: 4 })
    const first = await createSession(model, { provider: 'cuda' })
    if (first.provider === 'cuda') {
      expect(first.fallbackReason).toBeUndefined()
    } else {
      expect(first.provider).toBe('cpu')
      expect(first.fallbackReason).toMatch(/^cuda: .+/)
      expect(first.fallbackReason!.length).toBeLessThanOrEqual(210)
      // The failure is remembered, so the second request does not retry the load but reports the same reason.
      const second = await createSession(model, { provider: 'cuda' })
      expect(second.provider).toBe('cpu')
      expect(second.fallbackReason).toBe(first.fallbackReason)
      await second.session.release()
    }
    // Whichever provider it got, the session computes: a 4-unit net with no weights keeps its cue.
    const out = await first.session.run({
      state: { type: 'float32', data: Float32Array.of(1, -1, 1, -1), dims: [1, 4] },
      max_iterations: { type: 'int64', data: BigInt64Array.of(3n), dims: [] },
      weights: { type: 'float32', data: new Float32Array(16), dims: [4, 4] },
      thresholds: { type: 'float32', data: new Float32Array(4), dims: [4] }
    })
    expect(Array.from(out.final_state!.data as Float32Array)).toEqual([1, -1, 1, -1])
    await first.session.release()
  })
})

describe('SessionCache', () => {
  it('returns the same session for the same model and options, evicting least recently used', async () => {
    const cache = new SessionCache(2)
    const a = buildHopfieldRecallModel({ units: 3 })
    const b = buildHopfieldRecallModel({ units: 5 })
    const c = buildHopfieldRecallModel({ units: 7 })
    const a1 = await cache.get(a, { provider: 'cpu', threads: 1 })
    expect(await cache.get(Uint8Array.from(a), { provider: 'cpu', threads: 1 })).toBe(a1)
    expect(await cache.get(a, { provider: 'cpu', threads: 2 })).not.toBe(a1)
    expect(cache.size).toBe(2)
    await cache.get(a, { provider: 'cpu', threads: 1 }) // touch: (a,1) is now most recent
    await cache.get(b, { provider: 'cpu', threads: 1 })
    await cache.get(c, { provider: 'cpu', threads: 1 })
    expect(cache.size).toBe(2)
    expect(await cache.get(a, { provider: 'cpu', threads: 1 })).not.toBe(a1)
    await cache.clear()
    expect(cache.size).toBe(0)
  })

  it('does not cache a failed creation', async () => {
    const cache = new SessionCache()
    await expect(cache.get(Uint8Array.of(1, 2, 3), { provider: 'cpu' })).rejects.toThrow()
    expect(cache.size).toBe(0)
  })
})
