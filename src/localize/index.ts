/** Localization and evaluation: maps -> boxes -> WSOL metrics (plain typed arrays, no tensors). */
export * from './boxes';
export * from './score-map';
export * from './connected-regions';
export * from './threshold-sweep';
export * from './box-evaluator';
export * from './pxap-evaluator';
export * from './classic-loc-evaluator';
export * from './localization-evaluator';
export * from './contours';
export * from './npy';
export * from './cam-folder';
