// CLI config: ConfigError, the one error every configuration problem becomes (each issue names its field and source).

/** One problem in the configuration. */
export interface ConfigIssue {
  /** Dotted path, e.g. `namespaces.chat.historySize`; empty for the whole document. */
  readonly path: string;
  readonly message: string;
  /** Where the value came from: `config file x.json`, `SWITCHBOARD_PORT`, `--port`, ... */
  readonly source: string | undefined;
}

/** The configuration is invalid; `message` lists every issue, one per line, each naming its field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'ERR_CONFIG';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: ErrorOptions) {
    super(
      `Cannot use the configuration:\n${issues.map((i) => `  ${i.path === '' ? '(root)' : i.path}: ${i.message}${i.source === undefined ? '' : ` (from ${i.source})`}`).join('\n')}`,
      options,
    );
    this.issues = issues;
  }
}
