// Recurrent networks (RNN tanh/relu, LSTM with peepholes and coupled gates, GRU in PyTorch's and the original form):
// the exact float64 reference.
export * from './spec'
export * from './network'
export * from './training'
export * from './sampling'
export * from './state-dict'
export * from './delay-task'
export * from './tasks'
