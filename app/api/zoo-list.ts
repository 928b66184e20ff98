/** The zoo as the UI lists it (names and descriptions only), served over IPC and HTTP alike. */
import { ZOO } from '../model/zoo/index.js';
import { trainedModelNames } from '../model/zoo/trained.js';
import type { ZooListItem } from './contract.js';

/**
 * Every built-in zoo model, in zoo order, each `-demo` model followed by its trained
 * Fashion-MNIST weights when the repository ships them (the ones worth pruning in the UI).
 */
export function zooList(): ZooListItem[] {
  return ZOO.flatMap(({ name, description }) => [
    { name, description },
    ...trainedModelNames([name]).map((trained) => ({
      name: trained,
      description: `${description}, trained on Fashion-MNIST`,
    })),
  ]);
}
