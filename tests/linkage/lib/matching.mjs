// Maximum-likelihood matching: given score[e][p] = log-likelihood that
// employee e holds pseudonym p, the assignment maximising the sum of scores
// (the Hungarian algorithm, from the `munkres` package).
import munkres from 'munkres';

// Returns assignment[e] = p. Equal scores are broken at random (rows and
// columns are shuffled with `rng` before solving), so that an adversary
// without information cannot be lucky by the order the entities are listed in.
export function bestAssignment(score, rng) {
  const n = score.length;
  if (n === 0) return [];
  const m = score[0].length;
  const rows = rng.shuffle([...Array(n).keys()]);
  const cols = rng.shuffle([...Array(m).keys()]);
  const cost = rows.map((r) => cols.map((c) => {
    const s = score[r][c];
    if (Number.isNaN(s)) throw new Error('score is NaN');
    return -s;
  }));
  const assignment = new Array(n).fill(-1);
  for (const [y, x] of munkres(cost)) assignment[rows[y]] = cols[x];
  return assignment;
}

// Fraction of employees matched to their own pseudonym (truth[e] = p).
export function accuracy(assignment, truth) {
  let right = 0;
  for (let e = 0; e < truth.length; e++) if (assignment[e] === truth[e]) right++;
  return { right, total: truth.length };
}
