// Chance and the margin above it.

// The smallest k with P(X <= k) >= q for X ~ Binomial(n, p).
export function binomialQuantile(n, p, q) {
  if (p <= 0) return 0;
  if (p >= 1) return n;
  let pmf = Math.exp(n * Math.log1p(-p));
  let cdf = pmf;
  let k = 0;
  while (cdf < q && k < n) {
    pmf *= ((n - k) / (k + 1)) * (p / (1 - p));
    k++;
    cdf += pmf;
  }
  return k;
}

// How many correct links among `trials` an adversary with no information
// reaches at most, with probability `q`, when chance is 1/n per link. A
// uniformly random matching of n has on average one fixed point, and the
// number of fixed points is close to Binomial(n, 1/n).
export function chanceBound(trials, n, q = 0.999) {
  return binomialQuantile(trials, 1 / n, q);
}

// The quantile each of `checks` chance checks uses so that an adversary
// without information trips any of them at most once in `1 / falseAlarm`
// runs of the whole test (Bonferroni: the checks' false alarms add up at
// most). One check keeps 0.999.
export function familyQuantile(checks, falseAlarm = 0.001) {
  return 1 - falseAlarm / Math.max(1, checks);
}

// P(X >= k) for X ~ Poisson(lambda).
export function poissonTail(k, lambda) {
  if (k <= 0) return 1;
  let pmf = Math.exp(-lambda);
  let below = pmf;
  for (let i = 1; i < k; i++) {
    pmf *= lambda / i;
    below += pmf;
  }
  return Math.max(0, 1 - below);
}
