/**
 * The one error type camshim's own code throws. Low layers throw it with a stable
 * `code` and the context a user needs (file:line, address, list); the top layer
 * (CLI, app) decides what to print or log and which exit code to give.
 */
export type ErrorCode =
  | 'CONFIG_READ'
  | 'CONFIG_YAML'
  | 'CONFIG_INVALID'
  | 'LIST_READ'
  | 'LIST_INVALID'
  | 'LIST_NEVER_BLOCK'
  | 'LIST_CACHE'
  | 'LIST_BUILD'
  | 'LIST_NOT_FETCHED'
  | 'LIST_FETCH'
  | 'LIST_REJECTED'
  | 'DNS_BIND_DENIED'
  | 'DNS_PORT_IN_USE'
  | 'DNS_ADDRESS_UNAVAILABLE'
  | 'DNS_BIND_FAILED'
  | 'CLI_USAGE'
  | 'ROUTER_CONFIG_TARGET'
  | 'ROUTER_CONFIG_CIDR'
  | 'ROUTER_CONFIG_ADDRESS'
  | 'ROUTER_CONFIG_FAMILY'
  | 'ROUTER_CONFIG_NAME'
  | 'WIRE_FORMAT'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_NETWORK'
  | 'UPSTREAM_BAD_REPLY'
  | 'UPSTREAM_LOOP'
  | 'NTP_BIND_DENIED'
  | 'NTP_PORT_IN_USE'
  | 'NTP_ADDRESS_UNAVAILABLE'
  | 'NTP_BIND_FAILED'
  | 'NTP_PACKET_TOO_SHORT'
  | 'NTP_FIELD_RANGE'
  | 'CLIENTS_LEASE_READ'
  | 'CLIENTS_LEASE_LINES'
  | 'CLIENTS_NEIGHBOUR_READ'
  | 'CLIENTS_LIMIT'
  | 'HTTP_BIND'
  | 'DASHBOARD_BAD_PARAMETER'
  | 'DASHBOARD_WORKERS_SILENT'
  | 'LOG_FILE_OPEN';

export interface ErrorContext {
  readonly file?: string;
  readonly line?: number;
  readonly path?: string;
  readonly address?: string;
  readonly [key: string]: unknown;
}

export class CamshimError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CamshimError';
    this.code = code;
    this.context = context;
  }
}

/** A problem found while checking input that does not stop the rest of the check. */
export interface Problem {
  readonly code: ErrorCode;
  /** Errors fail `camshim check` and a reload; warnings (a skipped bad line) do not. Default: error. */
  readonly severity?: 'error' | 'warning';
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly path?: string;
}

export function formatProblem(problem: Problem): string {
  const where = problem.file !== undefined
    ? `${problem.file}${problem.line !== undefined ? `:${problem.line}${problem.column !== undefined ? `:${problem.column}` : ''}` : ''}: `
    : problem.path !== undefined ? `${problem.path}: ` : '';
  const level = problem.severity === 'warning' ? 'warning: ' : '';
  return `${where}${level}${problem.message} [${problem.code}]`;
}
