/** The `.seprune` project file as a {@link ModelReader} (app/model/project-file.ts holds the format). */
import { basename, extname } from 'node:path';
import { decodeProject, MAGIC } from '../model/project-file.js';
import type { ModelReader } from './reader.js';

export const projectReader: ModelReader = {
  name: '.seprune',
  extensions: ['.seprune'],
  match(path, head) {
    return extname(path).toLowerCase() === '.seprune' || new TextDecoder().decode(head.subarray(0, 8)) === MAGIC;
  },
  read(bytes, path) {
    return decodeProject(bytes, `Model file ${basename(path)}`);
  },
};
