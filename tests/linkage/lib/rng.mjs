// A seeded random source for the simulation, so that a run can be repeated
// from its seed. (The real client draws from crypto.getRandomValues; the
// simulation only needs the same distributions, reproducibly.)

// splitmix32 expands a seed into the four words of sfc32's state.
function splitmix32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  constructor(seed) {
    const mix = splitmix32(seed);
    this.a = mix(); this.b = mix(); this.c = mix(); this.d = mix();
    for (let i = 0; i < 12; i++) this.u32();
  }

  // sfc32 (Chris Doty-Humphrey's small fast counting generator).
  u32() {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  // Uniform in [0, 1) with 53 random bits.
  uniform() { return (this.u32() * 2 ** 21 + (this.u32() >>> 11)) / 2 ** 53; }

  // Uniform integer in [lo, hi].
  int(lo, hi) { return lo + Math.floor(this.uniform() * (hi - lo + 1)); }

  exponential(mean) { return -Math.log(1 - this.uniform()) * mean; }

  normal() {
    const u = 1 - this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }

  // A new generator derived from this one (independent streams per purpose).
  fork() { return new Rng(this.u32()); }

  shuffle(array) {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [array[i], array[j]] = [array[j], array[i]];
    }
    return array;
  }

  hex(bytes) {
    let s = '';
    for (let i = 0; i < bytes; i++) s += (this.u32() & 0xff).toString(16).padStart(2, '0');
    return s;
  }
}
