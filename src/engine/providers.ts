// Provider selection: the platform table plus session creation with CPU fallback, in one import.
export { defaultThreads, platformProviders, providerOrder, type ProviderRequest } from './provider-table'
export {
  createSession,
  listAvailableProviders,
  probeProviders,
  type CreatedSession,
  type CreateSessionOptions,
  type ProviderProbe
} from './ort'
