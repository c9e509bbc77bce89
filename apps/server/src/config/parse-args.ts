import { readFileSync } from 'node:fs';
import { ConfigError, completeConfig, type EtcdConfig } from './config.js';
import { parseConfigFile } from './config-file.js';
import { FLAG_BY_NAME, type FlagSpec, parseFlagValue } from './flags.js';

export interface ParsedArgs {
  config: EtcdConfig;
  /** --version or --help was asked for instead of starting. */
  action: 'start' | 'version' | 'help';
  /** Things etcd logs as warnings (unrecognized ETCD_* variables, ignored flags). */
  warnings: string[];
}

const USAGE_HINT = "Usage: etcd [flags]  (run 'etcd --help' for the list)";

// Go's flag package syntax (-flag, --flag, -flag=value, --flag value, bare booleans) followed by the
// ETCD_* environment for every flag not given on the command line, as etcd 3.4 does.
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ParsedArgs {
  const values = new Map<string, unknown>();
  const warnings: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg.length < 2 || arg[0] !== '-') break;
    const body = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
    if (body.length === 0 || body[0] === '-' || body[0] === '=') {
      throw new ConfigError(`bad flag syntax: ${arg}\n${USAGE_HINT}`, 2);
    }
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const spec = FLAG_BY_NAME.get(name);
    if (!spec) throw new ConfigError(`flag provided but not defined: -${name}\n${USAGE_HINT}`, 2);
    let text: string;
    if (eq >= 0) text = body.slice(eq + 1);
    else if (spec.kind === 'bool') text = 'true';
    else {
      if (i + 1 >= argv.length) throw new ConfigError(`flag needs an argument: -${name}\n${USAGE_HINT}`, 2);
      text = argv[++i]!;
    }
    values.set(name, convert(spec, text, `flag -${name}`, 2));
  }
  if (i < argv.length) {
    throw new ConfigError(`error verifying flags, '${argv[i]}' is not a valid flag. See 'etcd --help'.`, 1);
  }

  const configFile = (values.get('config-file') as string | undefined) || env.ETCD_CONFIG_FILE;
  if (configFile) readConfigFile(configFile, values);
  else readEnv(env, values, warnings);

  if (values.get('version') === true) return { config: completeConfig({}), action: 'version', warnings };

  if (values.get('help') === true || values.get('h') === true) {
    return { config: completeConfig({}), action: 'help', warnings };
  }
  const partial: Partial<EtcdConfig> = {};
  for (const [name, value] of values) {
    const spec = FLAG_BY_NAME.get(name)!;
    if (spec.key) (partial as Record<string, unknown>)[spec.key] = value;
    else if (value !== '' && value !== false) warnings.push(`flag --${name} is accepted but not implemented`);
  }
  // The same rule etcd applies: a name given without --initial-cluster still bootstraps as itself.
  return { config: completeConfig(partial), action: 'start', warnings };
}

function convert(spec: FlagSpec, text: string, what: string, exitCode: number, fromEnv = false): unknown {
  try {
    return parseFlagValue(spec, text);
  } catch (err) {
    const reason = (err as Error).message;
    if (fromEnv) {
      throw new ConfigError(
        `error verifying flags, invalid value ${JSON.stringify(text)} for ${what}: ${reason}. See 'etcd --help'.`,
        exitCode,
      );
    }
    throw new ConfigError(
      `invalid value ${JSON.stringify(text)} for ${what}: ${reason}\n${USAGE_HINT}`,
      exitCode,
    );
  }
}

// etcd 3.4 reads ETCD_* for every flag the command line did not set, and warns about the rest.
function readEnv(env: NodeJS.ProcessEnv, values: Map<string, unknown>, warnings: string[]): void {
  for (const [envName, text] of Object.entries(env)) {
    if (!envName.startsWith('ETCD_') || text === undefined) continue;
    const flagName = envName.slice(5).toLowerCase().replace(/_/g, '-');
    const spec = FLAG_BY_NAME.get(flagName);
    // etcdctl's variables share the prefix; etcd ignores its own ETCD_UNSUPPORTED_ARCH and friends too.
    if (!spec) {
      if (!envName.startsWith('ETCDCTL_'))
        warnings.push(`unrecognized environment variable ${envName}=${text}`);
      continue;
    }
    if (values.has(flagName)) {
      throw new ConfigError(
        `conflicting environment variable "${envName}" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)`,
        1,
      );
    }
    values.set(flagName, convert(spec, text, envName, 1, true));
  }
}

// With a config file etcd 3.4 ignores every other flag and variable (--version and --help still count).
function readConfigFile(path: string, values: Map<string, unknown>): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'ENOENT'
        ? 'no such file or directory'
        : e.code === 'EACCES'
          ? 'permission denied'
          : e.message;
    throw new ConfigError(`error verifying flags, open ${path}: ${why}. See 'etcd --help'.`, 1);
  }
  let fromFile: Map<string, string>;
  try {
    fromFile = parseConfigFile(text);
  } catch (err) {
    throw new ConfigError(`error verifying flags, ${(err as Error).message}. See 'etcd --help'.`, 1);
  }
  for (const name of [...values.keys()])
    if (name !== 'version' && name !== 'help' && name !== 'h') values.delete(name);
  for (const [name, t] of fromFile) {
    const spec = FLAG_BY_NAME.get(name);
    // Keys etcd's Config does not have are ignored there too (YAML into a Go struct).
    if (!spec || name === 'config-file') continue;
    values.set(name, convert(spec, t, `config file key ${name}`, 1, true));
  }
}
