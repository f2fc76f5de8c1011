// Execution-provider preferences per platform and the default thread count (no ORT import here).

/** Providers a caller may ask for; 'auto' means the platform's preference order. */
export type ProviderRequest = 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml'

/**
 * Providers to try for 'auto', best first, always ending with 'cpu'. WebGPU is left out: it is
 * experimental in ORT 1.30 and fails outright on machines without a Vulkan adapter.
 */
export function platformProviders(platform: string = process.platform, arch: string = process.arch): string[] {
  if (platform === 'linux' && arch === 'x64') return ['cuda', 'cpu']
  if (platform === 'win32') return ['dml', 'cpu']
  if (platform === 'darwin' && arch === 'arm64') return ['coreml', 'cpu']
  return ['cpu']
}

/** The order to try for a request; 'cpu' is always last so there is something that loads. */
export function providerOrder(request: ProviderRequest = 'auto', platform?: string, arch?: string): string[] {
  const order = request === 'auto' ? platformProviders(platform, arch) : [request]
  return order.includes('cpu') ? order : [...order, 'cpu']
}

/**
 * Intra-op threads for a request of 0/undefined. On small or shared machines one thread was
 * fastest (ENGINE-NOTES.md: spinning threads fight the other workers), so only bigger machines
 * get more, and never more than half the cores.
 */
export function defaultThreads(cores: number): number {
  if (cores <= 2) return 1
  return Math.max(1, Math.min(4, Math.floor(cores / 2)))
}
