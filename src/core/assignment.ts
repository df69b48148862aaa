/**
 * Assigns approvers to personas so that each person counts for at most one persona (distinct_reviewers).
 * A bipartite matching between persona slots (a persona needing 2 approvals has 2 slots) and people,
 * found with augmenting paths (Kuhn's algorithm): if any assignment fills every slot, this finds one,
 * where a greedy pass could give the one shared person to the wrong persona.
 *
 * Returns, per persona, the people assigned to it.
 */
export function assign(personas: readonly { slots: number; candidates: readonly string[] }[]): string[][] {
  const slots: number[] = []; // slot index → persona index
  personas.forEach((p, i) => {
    for (let k = 0; k < p.slots; k++) slots.push(i);
  });
  const ownerOf = new Map<string, number>(); // person → slot index

  const tryAssign = (slot: number, visited: Set<string>): boolean => {
    for (const person of personas[slots[slot]!]!.candidates) {
      if (visited.has(person)) continue;
      visited.add(person);
      const current = ownerOf.get(person);
      if (current === undefined || tryAssign(current, visited)) {
        ownerOf.set(person, slot);
        return true;
      }
    }
    return false;
  };
  slots.forEach((_, s) => tryAssign(s, new Set()));

  const out: string[][] = personas.map(() => []);
  for (const [person, slot] of ownerOf) out[slots[slot]!]!.push(person);
  return out;
}
