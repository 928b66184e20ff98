/**
 * The `seprune` command line: dispatches to one module per command (app/cli/commands/), generates
 * `--help` from each command's option table, prints `--json` results as one object on stdout, and
 * turns user mistakes into one sentence on stderr with exit code 1 (2 for internal errors, whose
 * stack is shown only with SEPRUNE_DEBUG=1).
 */
import { parseArgs } from 'node:util';
import type { CommandSpec, OptionSpec } from './command.js';
import { createProgress } from './progress.js';
import { UserError } from '../model/errors.js';
import { cliMessage } from './error-words.js';
import { COMMANDS } from './commands/index.js';
import { modelFileList } from '../import/index.js';
import type { DatasetReport } from './command.js';

const COMMON: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'Print one JSON object on stdout (for scripts).' },
  help: { type: 'boolean', short: 'h', description: 'Show this help.' },
};

function optionHelp(spec: CommandSpec): string {
  const rows = Object.entries({ ...spec.options, ...COMMON }).map(([k, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${k}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    return [flag, o.description + (o.default !== undefined ? ` (default: ${String(o.default)})` : '')];
  });
  const w = Math.max(...rows.map((r) => r[0].length)) + 2;
  return rows.map(([f, d]) => `  ${f.padEnd(w)}${d}`).join('\n');
}

export function commandHelp(spec: CommandSpec): string {
  const pos = spec.positionals.map((p) => (p.required ? `<${p.name}${p.variadic ? '...' : ''}>` : `[${p.name}${p.variadic ? '...' : ''}]`));
  const lines = [`Usage: seprune ${spec.name} ${pos.join(' ')} [options]`, '', spec.summary, ''];
  if (spec.positionals.length) {
    lines.push('Arguments:', ...spec.positionals.map((p) => `  ${p.name.padEnd(12)}${p.description}`), '');
  }
  lines.push('Options:', optionHelp(spec));
  if (spec.examples?.length) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

export function mainHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'Usage: seprune <command> [options]',
    '',
    'SE Prune Studio: prune squeeze-and-excitation CNNs by their own gates, fold saturated SE blocks,',
    'fine-tune, and export verified quantized models for mobile and web.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}${c.summary.split('\n')[0]}`),
    '',
    `Models: a file (${modelFileList()}) or zoo:<name> (see \`seprune zoo\`).`,
    'Run `seprune <command> --help` for a command\'s options.',
  ].join('\n');
}

function parseError(e: unknown, cmd: string): string {
  const msg = (e as Error).message ?? String(e);
  const code = (e as { code?: string }).code;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const m = /Unknown option '([^']+)'/.exec(msg);
    return `Unknown option ${m ? m[1] : ''} for \`seprune ${cmd}\`; see \`seprune ${cmd} --help\`.`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const m = /Option '([^']+)'/.exec(msg);
    return `Option ${m ? m[1].split(',').pop()?.trim() : ''} ${msg.includes('argument missing') ? 'needs a value' : 'has a wrong value'}; see \`seprune ${cmd} --help\`.`;
  }
  return `${msg.split('\n')[0]}`;
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp() + '\n');
    return name ? 0 : 1;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write('0.1.0\n');
    return 0;
  }
  const spec = COMMANDS.find((c) => c.name === name);
  if (!spec) {
    process.stderr.write(`seprune: unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(', ')}.\n`);
    return 1;
  }
  let parsed;
  try {
    const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
    for (const [k, o] of Object.entries({ ...spec.options, ...COMMON })) {
      options[k] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
    }
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (e) {
    process.stderr.write(`seprune: ${parseError(e, name)}\n`);
    return 1;
  }
  if (parsed.values.help) {
    process.stdout.write(commandHelp(spec) + '\n');
    return 0;
  }
  const required = spec.positionals.filter((p) => p.required).length;
  const variadic = spec.positionals.some((p) => p.variadic);
  if (parsed.positionals.length < required || (!variadic && parsed.positionals.length > spec.positionals.length)) {
    const want = spec.positionals.map((p) => `<${p.name}>`).join(' ');
    process.stderr.write(`seprune: \`seprune ${name}\` takes ${want || 'no arguments'}; see \`seprune ${name} --help\`.\n`);
    return 1;
  }
  const json = parsed.values.json === true;
  const progress = createProgress(!json);
  const datasets: DatasetReport[] = [];
  try {
    const result = await spec.run({
      values: parsed.values as Record<string, string | boolean | string[] | undefined>,
      positionals: parsed.positionals,
      json,
      progress,
      log: (line) => {
        if (!json) process.stderr.write(line + '\n');
      },
      datasets,
    });
    progress.done();
    const out = datasets.length && result.json && typeof result.json === 'object' && !Array.isArray(result.json) ? { ...result.json, datasets } : result.json;
    process.stdout.write((json ? JSON.stringify(out) : result.text) + '\n');
    return 0;
  } catch (e) {
    progress.done();
    if (e instanceof UserError) {
      process.stderr.write(`seprune: ${cliMessage(e)}\n`);
      return 1;
    }
    const err = e as Error;
    process.stderr.write(`seprune: internal error: ${err?.message ?? String(e)} (this is a bug; run with SEPRUNE_DEBUG=1 for details).\n`);
    if (process.env.SEPRUNE_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
    return 2;
  }
}
