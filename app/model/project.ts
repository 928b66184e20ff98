/**
 * A project: a model and what the tool learnt about it (preprocessing, labels, statistics, the
 * steps that made it). project-file.ts stores it as a `.seprune` file.
 */
import type { Graph, Preprocessing } from './ir.js';
import type { ExcitationStats } from './excitation-stats.js';

export interface HistoryEntry {
  step: string;
  at: string;
  details: Record<string, unknown>;
}

export interface Project {
  graph: Graph;
  preprocessing?: Preprocessing;
  labels?: string[];
  stats?: ExcitationStats;
  history: HistoryEntry[];
}

/** A model as a command or job holds it: its project, where it came from and its content hash. */
export interface LoadedModel {
  project: Project;
  /** What the user passed, normalised (zoo spec or absolute-free path as given). */
  source: string;
  /** SHA-256 over the graph structure and weights (first 16 hex digits, graph-hash.ts). */
  hash: string;
}
