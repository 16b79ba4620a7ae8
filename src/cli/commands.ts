/**
 * The commands as `camshim --help` lists them, in its order. Kept apart from the command
 * modules so that run-cli can list every command while loading only the module of the one
 * being run: `serve` then never loads the code of `report`, `router-config` or `lists update`.
 */
export const COMMANDS = [
  { name: 'serve', command: 'serve', describe: 'run the DNS sinkhole (and NTP server) daemon' },
  { name: 'check', command: 'check', describe: 'validate the config and every list; print every problem with its file and line' },
  { name: 'query', command: 'query <name>', describe: 'show the answer NAME would get for a client, and why' },
  { name: 'lists', command: 'lists', describe: 'show the loaded lists (vendor, entries, source, date) and the state of lists fetched by URL' },
  { name: 'report', command: 'report [files..]', describe: 'summarise the sinkhole log: what each camera tried to reach, how often, what is new' },
  { name: 'router-config', command: 'router-config', describe: 'print DHCP, redirect and firewall configuration for the camera VLAN\'s router' },
] as const;

export type CommandName = (typeof COMMANDS)[number]['name'];

/** The yargs command string and description of one command. */
export function commandText(name: CommandName): { command: string; describe: string } {
  const entry = COMMANDS.find((candidate) => candidate.name === name)!;
  return { command: entry.command, describe: entry.describe };
}
