/**
 * `.seprune` mutations: header fields replaced by values of other types, removed or resized
 * (nodes, attrs, weight references, preprocessing, labels, history), and the weight blob changed,
 * each with the blob's length and checksum recomputed so the checks behind the checksum are
 * reached; and a share of raw byte mutations (which the checksum catches).
 */
import type { Rng } from '../../../app/model/random.js';
import { joinProject, splitProject } from '../seprune-bytes.js';
import { mutateBytes, mutateJson, pick } from './bytes.js';

export function mutateSeprune(src: Uint8Array, rng: Rng): { bytes: Uint8Array; what: string } {
  if (rng.int(8) === 0) return { bytes: mutateBytes(src, rng), what: 'bytes' };
  const p = splitProject(src);
  const what: string[] = [];
  const rounds = 1 + rng.int(3);
  for (let r = 0; r < rounds; r++) {
    const k = rng.int(10);
    const nodes = Array.isArray(p.header.graph?.nodes) ? p.header.graph.nodes : null;
    if (!nodes && (k === 1 || k === 3)) continue;
    if (k === 0) {
      p.blob = mutateBytes(p.blob, rng).slice(0, p.blob.length + 64);
      // keep a multiple of 4 half the time, so the float view is reached
      if (rng.int(2)) p.blob = p.blob.slice(0, p.blob.length - (p.blob.length % 4));
      what.push(`blob → ${p.blob.length} bytes`);
    } else if (k === 1 && nodes!.length) {
      const n = pick(rng, nodes!) as Record<string, unknown>;
      what.push(`node ${String(n?.name)}: ${mutateJson(n, rng)}`);
    } else if (k === 2) {
      const part = pick(rng, ['preprocessing', 'labels', 'history', 'graph']) as string;
      if (p.header[part] === undefined || rng.int(4) === 0) {
        p.header[part] = pick(rng, [null, 'x', 3, [], {}, { channels: 1 }]);
        what.push(`${part} → ${JSON.stringify(p.header[part])}`);
      } else what.push(`${part}: ${mutateJson(p.header[part], rng)}`);
    } else if (k === 3 && nodes!.length) {
      if (rng.int(2)) nodes!.splice(rng.int(nodes!.length), 1);
      else nodes!.splice(rng.int(nodes!.length), 0, structuredClone(pick(rng, nodes!)));
      what.push('node list changed');
    } else {
      what.push(mutateJson(p.header, rng, (path) => path === '.blobBytes' || path === '.blobSha256'));
    }
  }
  return { bytes: joinProject(p), what: what.join('; ') };
}
