import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Command } from '@oclif/core/command';
import { Config } from '@oclif/core/config';
import { loadHelpClass } from '@oclif/core/help';
import { settings } from '@oclif/core/settings';
import { commands } from './commands';
import { asFlagDefs } from './flags';
import { helpText } from './help';

// oclif as package.json configures it (explicit discovery, help class), loaded from node_modules
// without the bundle: oclif-commands.js and oclif-help.js then load the unbundled classes.
async function load(): Promise<Config> {
  settings.enableAutoTranspile = false;
  return Config.load({ root: join(__dirname, '..') });
}

test('explicit discovery registers every command as an oclif Command, ids with a space separator', async () => {
  const config = await load();
  assert.equal(config.topicSeparator, ' ');
  assert.equal(config.plugins.size, 1);
  const ids = Object.keys(commands).map((id) => id.replace(/ /g, ':'));
  assert.deepEqual([...config.commandIDs].sort(), ids.sort());
  const grant = await config.findCommand('lease:grant')?.load();
  assert.ok(grant && grant.prototype instanceof Command);
  const get = await config.findCommand('get')?.load();
  assert.equal(get?.flags?.prefix?.description, 'Get keys with matching prefix');
  assert.equal(get?.baseFlags?.['write-out']?.char, 'w');
  assert.deepEqual(Object.keys(get?.args ?? {}), ['key', 'range_end']);
  assert.deepEqual(asFlagDefs(get?.flags).limit, { kind: 'int', default: 0, char: undefined });
});

test("oclif's help class prints etcdctl's cobra page", async () => {
  const config = await load();
  const Help = await loadHelpClass(config);
  const out: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((s: string) => out.push(s) > 0) as typeof process.stdout.write;
  try {
    await new Help(config).showHelp(['help', 'lea', 'timetolive']);
  } finally {
    process.stdout.write = write;
  }
  const cls = await config.findCommand('lease:timetolive')?.load();
  assert.equal(out.join(''), helpText('lease timetolive', asFlagDefs(cls?.flags)));
  assert.match(out.join(''), /--keys\[=false\]\s+Get keys attached to this lease/);
});
