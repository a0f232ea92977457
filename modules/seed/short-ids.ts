import { SHORT_ID_ALPHABET, SHORT_ID_LENGTH } from '../records/short-id.js';
import { Random } from './random.js';

/**
 * Short ids for seeded records, in the write path's alphabet and length but without its random draw and retry:
 * sequence number `n` goes through two affine steps modulo 31^7 (a bijection, since the multipliers are not
 * multiples of 31), so a run never repeats an id and the same seed gives the same ids. Ids the API drew at random
 * can still clash with them; an `--append` run checks each batch against the table (seed-demo.ts).
 */
const BASE = BigInt(SHORT_ID_ALPHABET.length);
const SPACE = BASE ** BigInt(SHORT_ID_LENGTH);

function coprimeWithBase(n: bigint): bigint {
  const m = n % SPACE;
  return m % BASE === 0n ? m + 1n : m;
}

export class ShortIds {
  private readonly a1: bigint;
  private readonly b1: bigint;
  private readonly a2: bigint;
  private readonly b2: bigint;

  constructor(seed: number | string) {
    const rng = Random.for(seed, 'short-ids');
    const draw = () => (BigInt(rng.uint32()) << 20n) ^ BigInt(rng.uint32());
    this.a1 = coprimeWithBase(draw());
    this.b1 = draw() % SPACE;
    this.a2 = coprimeWithBase(draw());
    this.b2 = draw() % SPACE;
  }

  /** The id of sequence number `n` (0 ≤ n < 31^7). */
  at(n: number): string {
    let v = (BigInt(n) * this.a1 + this.b1) % SPACE;
    v = (v * this.a2 + this.b2) % SPACE;
    let id = '';
    for (let i = 0; i < SHORT_ID_LENGTH; i++) {
      id = SHORT_ID_ALPHABET[Number(v % BASE)]! + id;
      v /= BASE;
    }
    return id;
  }
}
