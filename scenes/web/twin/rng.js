// numpy.random.default_rng(seed).permutation(n), bit for bit: SeedSequence (numpy's hash
// mixing of the seed's 32-bit words into a pool of 4), PCG64 (128-bit LCG, XSL-RR output:
// BigInt for the state), and Generator.shuffle's Fisher-Yates, whose bounded integers are
// numpy's random_interval (a mask and rejection, 32-bit draws while the bound fits in 32 bits,
// two per 64-bit output).
(function (TWIN) {
  "use strict";
  const M32 = 0xffffffff;
  const INIT_A = 0x43b0d7e5, MULT_A = 0x931e8875, INIT_B = 0x8b51f9dd, MULT_B = 0x58f38ded;
  const MIX_MULT_L = 0xca01f9dd, MIX_MULT_R = 0x4973f715, XSHIFT = 16, POOL = 4;
  const M128 = (1n << 128n) - 1n, M64 = (1n << 64n) - 1n;
  const PCG_MULT = 0x2360ed051fc65da44385df649fccf645n;

  // The seed (a whole number >= 0, a Number or a BigInt) as numpy's uint32 words, low first.
  function seedWords(seed) {
    let n = BigInt(seed);
    if (n < 0n) throw new Error("seed must be >= 0");
    const words = [];
    if (n === 0n) words.push(0);
    while (n > 0n) {
      words.push(Number(n & 0xffffffffn));
      n >>= 32n;
    }
    return words;
  }

  function makeHash(init, mult) {
    const state = { c: init };
    return (value) => {
      value = (value ^ state.c) >>> 0;
      state.c = Math.imul(state.c, mult) >>> 0;
      value = Math.imul(value, state.c) >>> 0;
      return (value ^ (value >>> XSHIFT)) >>> 0;
    };
  }

  function mix(x, y) {
    const r = (Math.imul(MIX_MULT_L, x) - Math.imul(MIX_MULT_R, y)) >>> 0;
    return (r ^ (r >>> XSHIFT)) >>> 0;
  }

  // SeedSequence(seed).generate_state(4, uint64) as 4 BigInts.
  function seedState(seed) {
    const entropy = seedWords(seed);
    const hashmix = makeHash(INIT_A, MULT_A);
    const pool = [];
    for (let i = 0; i < POOL; i++) pool.push(hashmix(i < entropy.length ? entropy[i] : 0));
    for (let source = 0; source < POOL; source++) {
      for (let dst = 0; dst < POOL; dst++) {
        if (source !== dst) pool[dst] = mix(pool[dst], hashmix(pool[source]));
      }
    }
    for (let source = POOL; source < entropy.length; source++) {
      for (let dst = 0; dst < POOL; dst++) pool[dst] = mix(pool[dst], hashmix(entropy[source]));
    }
    const out = makeHash(INIT_B, MULT_B);
    const words = [];
    for (let i = 0; i < 8; i++) words.push(out(pool[i % POOL]));
    const u64 = [];
    for (let i = 0; i < 8; i += 2) u64.push(BigInt(words[i]) | (BigInt(words[i + 1]) << 32n));
    return u64;
  }

  class PCG64 {
    constructor(seed) {
      const s = seedState(seed);
      const initState = (s[0] << 64n) | s[1];
      const initSeq = (s[2] << 64n) | s[3];
      this.inc = ((initSeq << 1n) | 1n) & M128;
      this.state = 0n;
      this.step();
      this.state = (this.state + initState) & M128;
      this.step();
      this.hasHalf = false;
      this.half = 0;
    }

    step() {
      this.state = (this.state * PCG_MULT + this.inc) & M128;
    }

    next64() {
      this.step();
      const hi = this.state >> 64n, lo = this.state & M64;
      const x = hi ^ lo, rot = hi >> 58n;
      return ((x >> rot) | (x << ((64n - rot) & 63n))) & M64;
    }

    next32() {
      if (this.hasHalf) {
        this.hasHalf = false;
        return this.half;
      }
      const v = this.next64();
      this.hasHalf = true;
      this.half = Number(v >> 32n);
      return Number(v & 0xffffffffn);
    }

    // numpy's random_interval: uniform in [0, max] by masking and rejection.
    interval(max) {
      if (max === 0) return 0;
      if (max <= M32) {
        let mask = max;
        for (let s = 1; s <= 16; s *= 2) mask |= mask >>> s;
        mask >>>= 0;
        let v;
        do { v = (this.next32() & mask) >>> 0; } while (v > max);
        return v;
      }
      let mask = BigInt(max);
      for (let s = 1n; s <= 32n; s *= 2n) mask |= mask >> s;
      let v;
      do { v = Number(this.next64() & mask); } while (v > max);
      return v;
    }
  }

  // One epoch's order: Generator.permutation(n) (arange, then Fisher-Yates from the end).
  function permutation(gen, n) {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = gen.interval(i);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  TWIN.rng = { PCG64, permutation, seedState };
})(TWIN);
