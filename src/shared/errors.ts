// Errors every layer throws and catches by class, never by message text.

/**
 * Long work stopped because the caller asked (its `shouldCancel` hook returned true). Core, engine and services
 * throw it; callers test `instanceof CancelledError`. A worker thread's errors lose their class in postMessage,
 * so the worker protocol carries a `cancelled` flag beside the message.
 */
export class CancelledError extends Error {
  constructor() {
    super('cancelled')
    this.name = 'CancelledError'
  }
}
