// throttledRef: the first change at once, a burst coalesced into one update carrying the latest value.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope, nextTick, ref } from 'vue'
import { throttledRef } from '../../src/renderer/src/lib/throttle'

describe('throttledRef', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('follows at most once per interval and ends on the latest value', async () => {
    const scope = effectScope()
    const source = ref(0)
    const out = scope.run(() => throttledRef(() => source.value, 250))!
    source.value = 1
    await nextTick()
    expect(out.value).toBe(1) // the first change goes through at once
    for (let k = 2; k <= 20; k++) {
      source.value = k
      await nextTick()
    }
    expect(out.value).toBe(1) // the burst waits for the interval
    vi.advanceTimersByTime(250)
    expect(out.value).toBe(20) // and lands as its latest value, once
    scope.stop()
    source.value = 99
    await nextTick()
    vi.advanceTimersByTime(1000)
    expect(out.value).toBe(20)
  })
})
