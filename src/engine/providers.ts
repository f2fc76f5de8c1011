// Provider selection: the platform table plus session creation with CPU fallback, in one import.
export { defaultThreads, platformProviders, providerOrder, type ProviderRequest } from './provider-table'
export { createSession, listAvailableProviders, type CreatedSession, type CreateSessionOptions } from './ort'
