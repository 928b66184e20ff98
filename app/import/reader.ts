/**
 * What a model reader is: one per format, listed in app/import/index.ts. `match` looks at the
 * path and first bytes; `read` turns the file into a project.
 */
import type { Project } from '../model/project.js';

export interface ModelReader {
  name: string;
  match(path: string, head: Uint8Array): boolean;
  read(bytes: Uint8Array, path: string): Promise<Project> | Project;
}
