/**
 * What a model reader is: one per format, listed in app/import/index.ts. Its name, extensions and
 * companion files are what every list of model files is made from (the CLI's help, the app's
 * file dialogs, drop and upload checks, the browser's `accept`), so a new format is one reader
 * file plus one line in that list.
 */
import type { Project } from '../model/project.js';

/** What hosts show and check of a format (plain data: the API sends it to the page). */
export interface ModelFormat {
  /** How help and the app name the file: ".onnx", "TF.js model.json". */
  name: string;
  /** File name endings it opens, lower case, with the dot. */
  extensions: string[];
  /** Endings of the files that travel with the model (TF.js weight shards); none for one-file formats. */
  companions?: string[];
  /** What the companions are, in a sentence: "its weight files". */
  companionsNote?: string;
}

export interface ModelReader extends ModelFormat {
  /** Whether this reader takes the file, from its path and first 64 bytes. */
  match(path: string, head: Uint8Array): boolean;
  read(bytes: Uint8Array, path: string): Promise<Project> | Project;
}
