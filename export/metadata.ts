/** The metadata every exported file carries (labels, preprocessing, source hash) as string pairs. */
import type { ExportMetadata } from './types.js';
import type { LoadedModel } from '../app/model/project.js';
import { describePipeline, pipelineOf, withPipeline } from '../app/data/transform.js';

export { PRODUCER } from '../app/model/export-metadata.js';
import { PRODUCER } from '../app/model/export-metadata.js';

export function exportMetadata(m: LoadedModel): ExportMetadata {
  return {
    source: m.source,
    sourceHash: m.hash,
    ...(m.project.labels ? { labels: m.project.labels } : {}),
    ...(m.project.preprocessing ? { preprocessing: m.project.preprocessing } : {}),
  };
}

/** Key → string value, as ONNX metadata_props / TF.js userDefinedMetadata store them. */
export function metadataEntries(meta: ExportMetadata, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {
    producer: PRODUCER,
    source: meta.source,
    source_hash: meta.sourceHash,
    ...extra,
  };
  if (meta.labels) out.labels = JSON.stringify(meta.labels);
  if (meta.preprocessing) {
    // The pipeline form (older projects' fields converted), plus the torchvision text a user can paste.
    const p = withPipeline(meta.preprocessing);
    out.preprocessing = JSON.stringify(p);
    out.transform = describePipeline(pipelineOf(p));
  }
  return out;
}
