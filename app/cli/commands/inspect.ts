/** `seprune inspect <model>`: architecture summary (shapes, params/MACs per stage, SE blocks). */
import type { CommandSpec } from '../command.js';
import { loadModel } from '../../import/load.js';
import { modelFileList } from '../../import/index.js';
import { summarize } from '../../model/summary.js';
import { fmtCount, table } from '../format.js';

export const inspectCommand: CommandSpec = {
  name: 'inspect',
  summary: 'Show a model\'s architecture: input/output shapes, params and MACs per stage and in total, and its SE blocks.',
  options: {},
  positionals: [{ name: 'model', required: true, description: `A model file (${modelFileList()}) or zoo:<name>.` }],
  examples: ['seprune inspect zoo:se-resnet50', 'seprune inspect zoo:se-mobilenet-demo --json'],
  async run(ctx) {
    const m = await loadModel(ctx.positionals[0]);
    const s = summarize(m.project.graph);
    const text = [
      `${s.name}  (${m.source}, hash ${m.hash})`,
      `input  ${s.inputs.map((i) => `${i.name} [${i.shape.join('×')}] (NHWC per image)`).join(', ')}`,
      `output ${s.outputs.map((o) => `${o.name} [${o.shape.join('×')}]`).join(', ')}`,
      `params ${s.params.toLocaleString('en-US')} (${fmtCount(s.params)}), MACs ${s.macs.toLocaleString('en-US')} (${fmtCount(s.macs)}), ${s.nodes} nodes`,
      '',
      table(
        s.stages.map((st) => [st.stage, st.params.toLocaleString('en-US'), fmtCount(st.macs)]),
        ['stage', 'params', 'MACs'],
      ),
      '',
      s.seBlocks.length === 0
        ? 'No SE blocks.'
        : `${s.seBlocks.length} SE blocks (${s.seParams.toLocaleString('en-US')} params):\n` +
          table(
            s.seBlocks.map((b) => [b.name, b.channels, `${b.hidden} (r=${+b.reduction.toFixed(2)})`, b.gate, b.bias ? 'yes' : 'no', b.after]),
            ['SE block', 'channels', 'hidden', 'gate', 'bias', 'gates the output of'],
          ),
    ].join('\n');
    return { json: { source: m.source, hash: m.hash, ...s }, text };
  },
};
