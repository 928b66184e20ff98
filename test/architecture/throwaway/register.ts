/**
 * The one registry line each throwaway part needs, run before anything reads the registries (the
 * CLI loads it with `--import`). A real format, exporter, criterion or training engine adds the
 * same line to app/import/index.ts, export/registry.ts, pruning/importance/index.ts or
 * app/train/engines/index.ts.
 */
import { modelReaders } from '../../../app/import/index.js';
import { EXPORTERS } from '../../../export/registry.js';
import { CRITERIA } from '../../../pruning/importance/index.js';
import { TRAIN_ENGINES } from '../../../app/train/engines/index.js';
import { toyReader } from './reader.js';
import { toyExporter } from './exporter.js';
import { toyCriterion } from './criterion.js';
import { toyEngine } from './engine.js';

modelReaders.push(toyReader);
EXPORTERS.push(toyExporter);
CRITERIA.push(toyCriterion);
TRAIN_ENGINES.push(toyEngine);
