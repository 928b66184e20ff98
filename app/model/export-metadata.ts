/**
 * What an exported file's metadata says of its project (export/metadata.ts writes the entries:
 * labels and preprocessing as JSON, the source model's name and graph hash, the precision): read back so a file this tool
 * wrote opens with the labels and preprocessing it was exported with. Only files whose `producer`
 * entry is this tool's are read (another tool's "labels" may mean anything); there, entries that
 * are absent are left out and ones that are present but wrong are refused with a sentence.
 */
import type { Preprocessing } from './ir.js';
import { ModelError } from './errors.js';
import { validateLabels, validatePreprocessing } from './validate-project.js';

/** The `producer` metadata entry of every file this tool exports. */
export const PRODUCER = 'se-prune-studio';

export interface MetadataFacts {
  labels?: string[];
  preprocessing?: Preprocessing;
  source?: string;
  /** The graph hash of the model it was exported from (the session model it matches). */
  sourceHash?: string;
  /** The precision it was exported at (fp32, fp16, int8), when the file says. */
  quant?: string;
}

export function factsFromMetadata(entries: Record<string, string>, what: string): MetadataFacts {
  if (entries.producer !== PRODUCER) return {};
  const json = (k: string): unknown => {
    try {
      return entries[k] === undefined ? undefined : JSON.parse(entries[k]);
    } catch {
      throw new ModelError(`${what} has metadata "${k}" that is not JSON.`);
    }
  };
  const labels = json('labels');
  const pre = json('preprocessing');
  return {
    ...(labels !== undefined && labels !== null ? { labels: validateLabels(labels, what) } : {}),
    ...(pre !== undefined && pre !== null ? { preprocessing: validatePreprocessing(pre, what) } : {}),
    ...(typeof entries.source === 'string' && entries.source ? { source: entries.source } : {}),
    ...(typeof entries.source_hash === 'string' && entries.source_hash ? { sourceHash: entries.source_hash } : {}),
    ...(typeof entries.quant === 'string' && entries.quant ? { quant: entries.quant } : {}),
  };
}
