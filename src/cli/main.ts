// CLI: `switchboard <command>`: a table of subcommands, each loaded on demand.

/** One subcommand: a summary for the help text and a lazy loader of its module. */
export interface Command {
  /** One line shown by `switchboard --help`. */
  readonly summary: string;
  /** Loads the module; its `run(argv)` resolves with the process exit code. */
  readonly load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

/**
 * The subcommands. Add one by adding a row; modules are imported
 * only when their command runs, so `switchboard echo` starts fast.
 */
export const COMMANDS: Record<string, Command> = {
  echo: { summary: 'Run a WebSocket echo server (engine only)', load: () => import('./echo.ts') },
  connect: {
    summary: 'Connect to a WebSocket server (interactive, or scripted with -x)',
    load: () => import('./connect.ts'),
  },
  serve: {
    summary: 'Run the real-time server, chat page and operations endpoints (--dev for a local demo)',
    load: () => import('./serve.ts'),
  },
  token: {
    summary: 'Print a JWT signed with the configured key (--sub, --role, --ttl)',
    load: () => import('./token.ts'),
  },
  bench: {
    summary: 'Load-test a server over the real-time protocol: clients, publish rate, latency histogram',
    load: () => import('./bench.ts'),
  },
  ban: {
    summary: 'Ban a user on every node for a while (--duration 1h, --reason) through the HTTP API',
    load: async () => ({ run: (argv) => import('./moderation.ts').then((m) => m.run('ban', argv)) }),
  },
  unban: {
    summary: 'Lift a ban through the HTTP API',
    load: async () => ({ run: (argv) => import('./moderation.ts').then((m) => m.run('unban', argv)) }),
  },
  bans: {
    summary: 'List the bans in force through the HTTP API',
    load: async () => ({ run: (argv) => import('./moderation.ts').then((m) => m.run('bans', argv)) }),
  },
};

/** The top-level help text. */
export function usage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  const rows = names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]!.summary}`);
  return [
    'Usage: switchboard <command> [options]',
    '',
    'Commands:',
    ...rows,
    '',
    'Run `switchboard <command> --help` for the options of a command.',
  ].join('\n');
}

/**
 * Runs the CLI.
 * @param argv - arguments after the program name
 * @returns the exit code
 */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`switchboard: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  const mod = await command.load();
  return mod.run(rest);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`switchboard: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
