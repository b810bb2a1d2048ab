// CLI config: the `SWITCHBOARD_*` environment variables that are not settings (read by the launcher, clients or
// diagnostics), which the loader skips instead of reporting an unknown setting.

/**
 * `SWITCHBOARD_*` variables that are not settings: `serve` and `token` ignore them instead of reporting an
 * unknown setting. Any other `SWITCHBOARD_*` variable must name a setting.
 */
export const NON_SETTING_VARIABLES = {
  SWITCHBOARD_CONFIG: 'path of the JSON config file (like --config; the flag wins)',
  SWITCHBOARD_USE_DIST:
    'bin/switchboard.js: 1 runs the compiled dist/ instead of the TypeScript source (Dockerfile, systemd unit, benchmarks)',
  SWITCHBOARD_TOKEN:
    "a client-side token: the default of `switchboard connect` and `switchboard bench` --token, and of your own scripts (the README's Node example); the server ignores it",
  SWITCHBOARD_STREAM_WRITES: 'engine diagnostic: 1 turns direct socket writes off',
  SWITCHBOARD_URL:
    'the server the moderation commands (`ban`, `unban`, `bans`) call (like --url); the server ignores it',
  SWITCHBOARD_API_KEY: 'the API key of the moderation commands (like --api-key); the server ignores it',
  SWITCHBOARD_TEST_IMPL: 'test suite: ws runs the hostile-input cases against the ws package for comparison',
  SWITCHBOARD_PROXY_SECRET:
    'the backend proxy secret when proxy.secret is unset: one variable that serve and the example backends (examples/proxy-backend) share',
} as const;
