/** `--ignore`: node names or globs (`*` any run of characters, `?` one) whose output channels are never cut. */
import type { Graph } from '../app/model/ir.js';
import { UserError } from '../app/model/errors.js';

function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** The node names of `g` that the patterns match; a pattern matching nothing is a user mistake. */
export function ignoredBy(patterns: string[], g: Graph): Set<string> {
  const out = new Set<string>();
  for (const p of patterns) {
    const re = globRegExp(p);
    const hit = g.nodes.filter((n) => re.test(n.name) || re.test(n.name.replace(/\/adaptive-bn$/, '')));
    if (hit.length === 0) throw new UserError(`--ignore "${p}" matches no node of the model.`);
    for (const n of hit) out.add(n.name);
  }
  return out;
}
