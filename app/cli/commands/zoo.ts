/** `seprune zoo`: the builtin models and the options their `zoo:` spec takes. */
import type { CommandSpec } from '../command.js';
import { ZOO } from '../../model/zoo/index.js';
import { trainedModelNames } from '../../model/zoo/trained.js';
import { table } from '../format.js';

export const zooCommand: CommandSpec = {
  name: 'zoo',
  summary: 'List the builtin SE models (use them as zoo:<name>[?input=32x32x3&classes=10&width=0.5&r=8&se=off&seBias=on&seed=1]).',
  options: {},
  positionals: [],
  async run() {
    const rows = ZOO.map((z) => ({ name: z.name, description: z.description, defaults: z.defaults }));
    const trained = trainedModelNames(ZOO.filter((z) => z.name.endsWith('-demo')).map((z) => z.name));
    const text =
      table(
        rows.map((r) => [r.name, r.defaults.input.join('x'), r.defaults.classes, r.defaults.r, r.description]),
        ['name', 'input', 'classes', 'r', 'description'],
      ) +
      '\n\nOptions: input=HxWxC, classes=N, width=F, r=N, se=on|off, seBias=on|off, seed=N.' +
      (trained.length ? `\nTrained on Fashion-MNIST (fixed, no options): ${trained.map((t) => `zoo:${t}`).join(', ')}.` : '');
    return { json: { models: rows, trained }, text };
  },
};
