/** The zoo as the UI lists it (names and descriptions only), served over IPC and HTTP alike. */
import { ZOO } from '../model/zoo/index.js';
import type { ZooListItem } from './contract.js';

/** Every built-in zoo model, in zoo order. */
export function zooList(): ZooListItem[] {
  return ZOO.map(({ name, description }) => ({ name, description }));
}
