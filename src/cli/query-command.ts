import { prepareState } from '../app.js';
import { loadConfig } from '../config/load-config.js';
import { parseTypeName, typeName } from '../wire/constants.js';
import { decodeQuery } from '../wire/query.js';
import { encodeQuery } from '../wire/encode-query.js';
import { responseLimit } from '../wire/response.js';
import { CamshimError, formatProblem } from '../errors.js';
import { isIpAddress } from '../net/ip-text.js';
import { runChain } from '../pipeline/chain.js';
import type { Answer } from '../pipeline/context.js';
import { LazyQueryContext } from '../pipeline/query-context.js';
import { answerText } from '../log/query-events.js';
import { withConfigOption } from './common-options.js';
import type { CommandModule } from './command-module.js';
import { commandText } from './commands.js';
import { ruleText } from '../lists/rule.js';
import { readLineNote } from '../lists/entry-notes.js';

export const queryCommand: CommandModule = {
  register(argv, setResult) {
    const text = commandText('query');
    return argv.command(text.command, text.describe, (command) => withConfigOption(command)
      .positional('name', { type: 'string', demandOption: true, describe: 'domain name to look up' })
      .option('client', { type: 'string', requiresArg: true, default: '127.0.0.1', describe: 'client address asking' })
      .option('type', { alias: 't', type: 'string', requiresArg: true, default: 'A', describe: 'query type (A, AAAA, TXT, 65, ...)' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON for scripts' })
      .check((args) => {
        if (!isIpAddress(args.client)) throw new Error(`--client needs an IP address, got "${args.client}"`);
        if (parseTypeName(args.type) === undefined) throw new Error(`--type: unknown query type "${args.type}"`);
        return true;
      }),
    (args) => setResult(() => query(args.name, args.client, args.type, args.config, args.json)));
  },
};

export interface QueryExplanation {
  name: string;
  type: string;
  client: string;
  group: string;
  allowed: boolean;
  answer: string;
  kind: string;
  /** The pipeline stage that decided. */
  stage: string;
  reason: string;
  /** The deciding rule: its list (and that list's vendor family), where it is written and the entry's own comment (purpose and source). */
  rule: { list: string; family: string; file: string; line: number; entry: string; source: string } | null;
  records: string[];
  upstream: string | null;
}

async function query(name: string, client: string, typeText: string, configFile: string | undefined, json: boolean): Promise<number> {
  const { state, problems } = await prepareState(await loadConfig(configFile), 1);
  if (state === undefined) {
    throw new CamshimError('CONFIG_INVALID', problems.map(formatProblem).join('\n'));
  }
  const qtype = parseTypeName(typeText)!;
  let packet: Buffer;
  try {
    packet = encodeQuery(name, qtype, { id: 1 });
  } catch (error) {
    throw new CamshimError('CLI_USAGE', `"${name}" is not a valid domain name: ${(error as Error).message}`);
  }
  const decoded = decodeQuery(packet);
  if (decoded.kind !== 'query') throw new CamshimError('CLI_USAGE', `"${name}" is not a valid domain name`);
  const classified = state.groups.classify(client);
  const context = new LazyQueryContext(packet, decoded.query, { address: client, port: 0, transport: 'udp', localAddress: undefined },
    classified.allowed, classified.group, state.lists.table, responseLimit(null, 'udp', state.config.dns.ednsPayload));
  const answer = runChain(state.chain, context);
  const forwarded = answer.forwarded !== undefined;
  const described = forwarded ? { rcode: 'from upstream', records: [] } : describeDecision(answer, state.answers.redirectTtl);
  const explanation: QueryExplanation = {
    name: decoded.query.name || '.', type: typeName(qtype), client, group: answer.group, allowed: classified.allowed,
    answer: described.rcode,
    kind: answer.kind, stage: answer.stage, reason: answer.reason, rule: null,
    records: described.records,
    upstream: forwarded ? state.forwarder.describe() : null,
  };
  if (answer.rule !== undefined) {
    const rule = state.lists.table.rule(answer.rule);
    const list = state.lists.lists[rule.list]!;
    explanation.rule = {
      list: list.name, family: list.meta.vendor ?? list.name, file: list.file, line: rule.line,
      entry: ruleText(rule.name, 'block', rule.scope), source: await readLineNote(list.file, rule.line),
    };
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(explanation, null, 2)}\n`);
  } else {
    const lines = [
      `${explanation.name} ${explanation.type} from ${client} (group ${explanation.group}${classified.allowed ? '' : ', outside access networks'})`,
      `answer: ${explanation.answer}${explanation.records.length > 0 ? ` ${explanation.records.join(', ')}` : ''}`,
      `why:    ${explanation.kind} — ${explanation.reason} (stage ${explanation.stage})`,
    ];
    if (explanation.rule !== null) {
      lines.push(`rule:   ${explanation.rule.entry} (${explanation.rule.list}, ${explanation.rule.file}:${explanation.rule.line})`);
      lines.push(`family: ${explanation.rule.family}`);
      if (explanation.rule.source !== '') lines.push(`source: ${explanation.rule.source}`);
    }
    if (explanation.upstream !== null) lines.push(`upstream: ${explanation.upstream}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return 0;
}

/** The answer camshim made, told from its decision record (camshim's own negative answers carry its SOA). */
function describeDecision(answer: Answer, redirectTtl: number): { rcode: string; records: string[] } {
  if (answer.rcode === undefined) return { rcode: 'nothing sent', records: [] };
  const text = answerText(answer.rcode, answer.address);
  if (answer.address !== undefined) return { rcode: 'NOERROR', records: [`${text} (TTL ${redirectTtl})`] };
  const withSoa = answer.kind === 'sinkhole' || answer.kind === 'unlisted' || answer.kind === 'redirect';
  return { rcode: withSoa ? `${text} (with SOA)` : text, records: [] };
}
