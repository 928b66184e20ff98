/**
 * The one registry line each throwaway part needs, run before anything reads the registries (the
 * CLI loads it with `--import`). A real format, exporter or criterion adds the same line to
 * app/import/index.ts, export/registry.ts or pruning/importance/index.ts.
 */
import { modelReaders } from '../../../app/import/index.js';
import { EXPORTERS } from '../../../export/registry.js';
import { CRITERIA } from '../../../pruning/importance/index.js';
import { toyReader } from './reader.js';
import { toyExporter } from './exporter.js';
import { toyCriterion } from './criterion.js';

modelReaders.push(toyReader);
EXPORTERS.push(toyExporter);
CRITERIA.push(toyCriterion);
