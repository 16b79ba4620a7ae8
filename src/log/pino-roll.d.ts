/**
 * pino-roll ships no types: the part camshim calls (pino-roll 4, `pino-roll.js`). It resolves to
 * the sonic-boom stream it rotates underneath.
 */
declare module 'pino-roll' {
  interface PinoRollOptions {
    readonly file: string;
    readonly size?: string | number;
    readonly frequency?: 'daily' | 'hourly' | number;
    readonly extension?: string;
    readonly symlink?: boolean;
    readonly limit?: { readonly count: number; readonly removeOtherLogFiles?: boolean };
    readonly dateFormat?: string;
    readonly mkdir?: boolean;
    readonly sync?: boolean;
    readonly minLength?: number;
    readonly maxLength?: number;
    readonly append?: boolean;
  }
  export default function pinoRoll(options: PinoRollOptions): Promise<NodeJS.WritableStream>;
}
