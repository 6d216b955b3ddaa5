/**
 * "Did you mean …?" for configuration keys: the known name nearest to a misspelt one, by edit
 * distance (insertions, deletions, substitutions and swaps of neighbouring letters, ignoring case),
 * when it is near enough to be what the user meant.
 */

/**
 * Edit distance between two words, counting a swap of two neighbouring letters as one edit
 * (optimal string alignment).
 *
 * @example editDistance("natStrategy", "natStartegy"); // 1
 */
export function editDistance(left: string, right: string): number {
  const rows = left.length + 1;
  const columns = right.length + 1;
  const distance: number[][] = Array.from({ length: rows }, (_, row) => Array.from({ length: columns }, (_, column) => (row === 0 ? column : column === 0 ? row : 0)));
  for (let row = 1; row < rows; row++) {
    for (let column = 1; column < columns; column++) {
      const cost = left[row - 1] === right[column - 1] ? 0 : 1;
      let best = Math.min(distance[row - 1]![column]! + 1, distance[row]![column - 1]! + 1, distance[row - 1]![column - 1]! + cost);
      if (row > 1 && column > 1 && left[row - 1] === right[column - 2] && left[row - 2] === right[column - 1]) best = Math.min(best, distance[row - 2]![column - 2]! + 1);
      distance[row]![column] = best;
    }
  }
  return distance[left.length]![right.length]!;
}

/**
 * The candidate nearest to `word`, or undefined when none is near: at most a third of the word's
 * length in edits (at least 1, at most 3), ignoring case.
 *
 * @example
 * ```ts
 * nearest("natStrategyy", ["natStrategy", "vpcCidr"]); // "natStrategy"
 * nearest("colour", ["natStrategy", "vpcCidr"]);      // undefined
 * ```
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  const budget = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= budget && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}
