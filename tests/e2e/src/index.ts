// The harness is the public API: other packages' tests may start real members with it.
export * from './harness/index';
