import type { App } from '../app.js';
import { MorphError } from '../errors.js';
import { SETTINGS } from '../settings/setting-table.js';
import { expectArguments } from './arguments.js';
import { COMMANDS, type CommandModule, loadCommand } from './commands.js';

export const usage = '[COMMAND]';
export const help = 'Show the list of commands, or the usage of one command.';

/** `morph help [COMMAND]`. */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('help', args, 0, 1, 'at most one command name');
  const name = args[0];
  if (name === undefined) {
    app.out(await formatGeneralHelp());
    return;
  }
  const command = await loadCommand(name);
  if (!command) throw new MorphError('cli', 'unknown-command', `unknown subcommand ${name}`);
  app.out(formatCommandHelp(name, command));
}

/** `morph help COMMAND` / `morph COMMAND --help`: usage line and the one-line help. */
export function formatCommandHelp(name: string, command: CommandModule): string {
  return `Usage: morph [options] ${name}${command.usage ? ` ${command.usage}` : ''}\n\n${command.help}\n`;
}

/** `morph --help` / `morph help`: usage, commands with their one-line help, options. */
export async function formatGeneralHelp(): Promise<string> {
  const lines = ['Usage: morph [options] COMMAND [ARGS...]', '', 'Commands:'];
  const names = Object.keys(COMMANDS).sort();
  const width = Math.max(...names.map((n) => n.length));
  for (const name of names) {
    const command = await loadCommand(name);
    lines.push(`  ${name.padEnd(width)}  ${command?.help ?? '(not available in this build)'}`);
  }
  lines.push('', 'Options:');
  const options = SETTINGS.map((spec) => {
    const names = [
      ...(spec.short ? [`-${spec.short}`] : []),
      `--${spec.name}${spec.type === 'bool' ? '' : `=${spec.metavar ?? 'VALUE'}`}`,
      ...(spec.aliases ?? []).map((a) => `--${a}`),
    ].join(', ');
    return { names, help: spec.help };
  });
  const optionWidth = Math.max(...options.map((o) => o.names.length));
  for (const o of options) lines.push(`  ${o.names.padEnd(optionWidth)}  ${o.help}`);
  return `${lines.join('\n')}\n`;
}
