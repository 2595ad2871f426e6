/**
 * @module deploy/hash
 * A short, stable, synchronous content hash for naming physical objects
 * (`events__3f9c2a1b7d04`). Not cryptographic: it only has to make accidental
 * collisions between versions of one resource vanishingly rare.
 */
export function shortHash(text: string): string {
  // Two independent 32-bit FNV-1a-style lanes → 48 bits shown as 12 hex digits.
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 ^= h1 >>> 13;
  return (h1 >>> 0).toString(16).padStart(8, "0") + ((h2 >>> 0) & 0xffff).toString(16).padStart(4, "0");
}
