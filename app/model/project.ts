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
  /** The app session saved with this model (the app's Save): every model of it, this one among them. */
  session?: SessionPart;
}

/** Where a model of a saved session came from: opened from `path`, or made from the model at index `parent`. */
export interface SessionOrigin {
  kind: 'opened' | 'pruned' | 'finetuned';
  /** Index into SessionPart.models of the model it was made from (always an earlier one). */
  parent?: number;
  path: string;
}

export interface SessionModel {
  /** How the session named it (its source). */
  label: string;
  origin: SessionOrigin;
  /** Its project; absent for the current model, which is the file's own project. */
  project?: Omit<Project, 'session'>;
}

/** Every model of a saved app session, in the order they were opened or made; `current` is the file's own model. */
export interface SessionPart {
  models: SessionModel[];
  current: number;
}

/** A model as a command or job holds it: its project, where it came from and its content hash. */
export interface LoadedModel {
  project: Project;
  /** What the user passed, normalised (zoo spec or absolute-free path as given). */
  source: string;
  /** SHA-256 over the graph structure and weights (first 16 hex digits, graph-hash.ts). */
  hash: string;
}
