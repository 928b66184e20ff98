/**
 * Splits a `.seprune` file into its JSON header and weight blob and joins them back with the
 * blob's length and SHA-256 recomputed, so tests and the fuzzer can change header fields or
 * weights and reach the checks behind the checksum.
 */
import { createHash } from 'node:crypto';

const pad8 = (n: number) => (8 - (n % 8)) % 8;

export interface ProjectParts {
  header: Record<string, unknown> & { graph: { nodes: Record<string, unknown>[]; [k: string]: unknown } };
  blob: Uint8Array;
}

export function splitProject(bytes: Uint8Array): ProjectParts {
  const hlen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + hlen))) as ProjectParts['header'];
  return { header, blob: bytes.slice(16 + hlen + pad8(16 + hlen)) };
}

/** Header and blob → file bytes; `fixChecksum` false keeps the header's own blobBytes/blobSha256. */
export function joinProject(p: ProjectParts, fixChecksum = true): Uint8Array {
  const header = fixChecksum ? { ...p.header, blobBytes: p.blob.length, blobSha256: createHash('sha256').update(p.blob).digest('hex') } : p.header;
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = 16 + json.length + pad8(16 + json.length);
  const out = new Uint8Array(start + p.blob.length);
  out.set(new TextEncoder().encode('SEPRUNE\0'), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, 1, true);
  dv.setUint32(12, json.length, true);
  out.set(json, 16);
  out.set(p.blob, start);
  return out;
}

/** A copy of `bytes` with `edit` applied to a copy of its header (checksum recomputed). */
export function editHeader(bytes: Uint8Array, edit: (h: ProjectParts['header']) => void): Uint8Array {
  const p = splitProject(bytes);
  edit(p.header);
  return joinProject(p);
}
