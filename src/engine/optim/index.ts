// In-graph optimisers (one configurable update function) and their float64 JS reference.
export * from './optimiser'
export * from './reference'
