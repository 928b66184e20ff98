/**
 * Trained demo models shipped with the repository: `zoo:<name>-fmnist` is the `-demo` model
 * trained on Fashion-MNIST by `seprune finetune` (the exact command is in the README and in each
 * file's history). They are plain .seprune projects in ./trained/, with their preprocessing.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const TRAINED_SUFFIX = '-fmnist';

/** Path of the trained file for `name` (e.g. se-resnet-demo-fmnist), or undefined. */
export function trainedModelPath(name: string): string | undefined {
  if (!name.endsWith(TRAINED_SUFFIX)) return undefined;
  const base = name.slice(0, -TRAINED_SUFFIX.length);
  const path = fileURLToPath(new URL(`./trained/${base}.seprune`, import.meta.url));
  return existsSync(path) ? path : undefined;
}

/** Names of the trained models present. */
export function trainedModelNames(demoNames: string[]): string[] {
  return demoNames.map((n) => `${n}${TRAINED_SUFFIX}`).filter((n) => trainedModelPath(n) !== undefined);
}
