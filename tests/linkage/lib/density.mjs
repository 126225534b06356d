// A delay distribution as the adversary knows it: many draws from the
// client's own schedule, sorted, so that the probability of a delay within
// any interval is a count.

export class DelayModel {
  constructor(draw, rng, samples = 200000) {
    const xs = new Float64Array(samples);
    for (let i = 0; i < samples; i++) xs[i] = draw(rng);
    xs.sort();
    this.xs = xs;
    this.n = samples;
  }

  // Fraction of draws <= x.
  cdf(x) {
    let lo = 0, hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.xs[mid] <= x) lo = mid + 1; else hi = mid;
    }
    return lo / this.n;
  }

  // Probability that the delay lies within [d - h, d + h], per unit of time:
  // the density seen through an observation of resolution h. Never zero
  // (a floor stands for draws the sample did not produce), so that a
  // log-likelihood is always finite.
  density(d, h) {
    const p = this.cdf(d + h) - this.cdf(d - h - 1e-9);
    return Math.max(p, 0.5 / this.n) / (2 * h);
  }

  // The density of delay + overhead, the overhead being anything in
  // [0, width): what an observer sees who knows the delay's distribution but
  // not the few milliseconds to seconds that the client's own work adds.
  windowDensity(d, width) {
    const p = this.cdf(d) - this.cdf(d - width);
    return Math.max(p, 0.5 / this.n) / width;
  }

  quantile(q) { return this.xs[Math.min(this.n - 1, Math.floor(q * this.n))]; }
}

// A uniform delay on [lo, hi), with the same questions as DelayModel.
export class Uniform {
  constructor(lo, hi) {
    this.lo = lo;
    this.hi = hi;
    this.floor = 1e-6 / Math.max(hi - lo, 1);
  }

  cdf(x) { return x <= this.lo ? 0 : x >= this.hi ? 1 : (x - this.lo) / (this.hi - this.lo); }

  density(d, h) { return Math.max(this.cdf(d + h) - this.cdf(d - h), this.floor * 2 * h) / (2 * h); }

  windowDensity(d, width) { return Math.max(this.cdf(d) - this.cdf(d - width), this.floor * width) / width; }

  quantile(q) { return this.lo + q * (this.hi - this.lo); }
}
