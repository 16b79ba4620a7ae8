import { CamshimError, type ErrorCode } from '../errors.js';

/**
 * Errors raised by the NTP server. Each carries a stable `code` that callers
 * (CLI, app composition root) can switch on, and optional context for logs.
 */

export type NtpErrorCode = Extract<ErrorCode, `NTP_${string}`>;

/** The NTP side's errors: project-wide CamshimErrors restricted to NTP codes. */
export class NtpError extends CamshimError {
  declare readonly code: NtpErrorCode;

  constructor(code: NtpErrorCode, message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, context, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NtpError';
  }
}
