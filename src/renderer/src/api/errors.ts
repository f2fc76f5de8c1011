// Normalises whatever a transport rejects with into the contract's ApiError, so the UI shows one shape.
import { ApiError, type ApiErrorPayload } from '../../../shared/api'

const CODES: ReadonlySet<string> = new Set(['bad-request', 'not-found', 'failed', 'unauthorized'])

export function isApiErrorPayload(value: unknown): value is ApiErrorPayload {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return typeof v.code === 'string' && CODES.has(v.code) && typeof v.message === 'string'
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error
  if (isApiErrorPayload(error)) return new ApiError(error)
  if (error instanceof Error) {
    const payload = error as Error & Partial<ApiErrorPayload>
    // Electron's ipcRenderer.invoke prefixes the message and drops custom fields.
    const message = error.message.replace(/^Error invoking remote method '[^']*': (?:\w*Error: )?/, '')
    // A preload may pass the payload as JSON in the message.
    if (message.startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(message)
        if (isApiErrorPayload(parsed)) return new ApiError(parsed)
      } catch {
        // not JSON: use the text
      }
    }
    const code = payload.code && CODES.has(payload.code) ? payload.code : 'failed'
    return new ApiError({ code, message, ...(payload.field ? { field: payload.field } : {}) })
  }
  return new ApiError({ code: 'failed', message: String(error) })
}
