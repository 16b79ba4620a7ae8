/** Builds camshim log lines with known content, for the report's tests and benchmark. */
export interface QueryLineSpec {
  readonly timeMs: number;
  readonly event?: 'sinkhole' | 'redirect' | 'unlisted';
  readonly client: string;
  readonly name: string;
  readonly type?: string;
  readonly group?: string;
  readonly list?: string | null;
  readonly rule?: string | null;
  readonly answer?: string;
  /** The log schema: 0 writes a line without `v`, as older camshim did. */
  readonly v?: 0 | 1;
  readonly mac?: string;
  readonly host?: string;
}

function head(timeMs: number, v: 0 | 1): string {
  return `{"level":30,"time":"${new Date(timeMs).toISOString()}","service":"camshim"${v === 1 ? ',"v":1' : ''}`;
}

function body(spec: QueryLineSpec): string {
  const event = spec.event ?? 'sinkhole';
  const list = spec.list === undefined ? (event === 'unlisted' ? null : 'vendor') : spec.list;
  const rule = spec.rule === undefined ? (list === null ? null : spec.name.split('.').slice(-2).join('.')) : spec.rule;
  return `,"client":${JSON.stringify(spec.client)}${spec.mac === undefined ? '' : `,"mac":"${spec.mac}"`}${spec.host === undefined ? '' : `,"host":${JSON.stringify(spec.host)}`}`
    + `,"name":${JSON.stringify(spec.name)},"type":"${spec.type ?? 'A'}","group":"${spec.group ?? 'cameras'}","list":${JSON.stringify(list)},"rule":${JSON.stringify(rule)},"line":${list === null ? 'null' : 1}`
    + `,"answer":"${spec.answer ?? (event === 'redirect' ? 'A 192.168.20.1' : 'NXDOMAIN')}"`;
}

export function queryLine(spec: QueryLineSpec): string {
  const event = spec.event ?? 'sinkhole';
  return `${head(spec.timeMs, spec.v ?? 1)},"event":"${event}"${body(spec)},"msg":"${event}"}`;
}

/** A storm line: `count` repeats between `firstMs` and `lastMs`, written at `timeMs`. */
export function stormLine(spec: QueryLineSpec & { count: number; firstMs: number; lastMs: number }): string {
  return `${head(spec.timeMs, 1)},"event":"storm","of":"${spec.event ?? 'sinkhole'}"${body(spec)},"count":${spec.count},"first":"${new Date(spec.firstMs).toISOString()}","last":"${new Date(spec.lastMs).toISOString()}","msg":"storm"}`;
}

export function ntpClientLine(timeMs: number, client: string, group = 'cameras'): string {
  return `${head(timeMs, 1)},"event":"ntp-client","module":"ntp","client":"${client}","group":"${group}","version":4,"msg":"new NTP client"}`;
}
