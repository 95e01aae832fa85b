// Which build of each WebAssembly module to load: the simd128 one where the engine runs
// WebAssembly SIMD (every current browser and Node ≥ 16.4), the scalar one elsewhere. The probe
// is a module of one function, `() -> v128 { i8x16.splat(i32.const 0) }`, that only an engine with
// SIMD validates: no detection library, nothing run.
const PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 15, 11]);

/** Whether this engine runs WebAssembly SIMD. */
export const simdSupported = WebAssembly.validate(PROBE);

/**
 * Whether to load the simd128 builds, given the caller's `simd` option: undefined detects,
 * `false` forces the scalar builds, `true` the simd128 ones (an Error where SIMD is missing).
 */
export function chooseSimd(option) {
  if (option === undefined || option === null) return simdSupported;
  if (option && !simdSupported) throw new Error('the simd option asks for the WebAssembly SIMD build, which this engine cannot run: leave the option out');
  return Boolean(option);
}
