import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server on loopback (the `smtp-server` package of the nodemailer project) that keeps what it
 * receives, for tests of the mailer. It can refuse messages with a chosen reply code (451: try later; 550:
 * never), for the next n messages or for all of them.
 */
export interface SinkMessage {
  readonly from: string;
  readonly to: readonly string[];
  /** The message as received (headers and body, transfer-encoded as sent). */
  readonly raw: string;
}

export class SmtpSink {
  readonly messages: SinkMessage[] = [];
  /** Messages refused so far (each refusal is one delivery attempt). */
  refused = 0;
  private refusals: { code: number; to?: string }[] = [];
  private refuseAllWith: number | undefined;

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(): Promise<SmtpSink> {
    // The server's callbacks need the sink, which needs the started server.
    const holder: { sink?: SmtpSink } = {};
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const code = holder.sink!.nextRefusal(session.envelope.rcptTo.map((r) => r.address));
          if (code !== undefined) {
            holder.sink!.refused += 1;
            const error = Object.assign(new Error(code >= 500 ? 'Mailbox unavailable' : 'Try again later'), { responseCode: code });
            callback(error);
            return;
          }
          holder.sink!.messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = ((server as unknown as { server: { address(): AddressInfo } }).server.address()).port;
    holder.sink = new SmtpSink(server, port);
    return holder.sink;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Refuses the next `count` messages with `code` (only messages to `to`, when given: other mail in flight is unaffected). */
  refuseNext(count: number, code = 451, to?: string): void {
    for (let i = 0; i < count; i++) this.refusals.push(to === undefined ? { code } : { code, to });
  }

  /** Refuses every message with `code` (undefined: accept again). */
  refuseAll(code: number | undefined): void {
    this.refuseAllWith = code;
  }

  private nextRefusal(recipients: readonly string[]): number | undefined {
    const index = this.refusals.findIndex((r) => r.to === undefined || recipients.includes(r.to));
    if (index < 0) return this.refuseAllWith;
    return this.refusals.splice(index, 1)[0]!.code;
  }

  /** Messages to `address`. */
  to(address: string): SinkMessage[] {
    return this.messages.filter((m) => m.to.includes(address));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls `check` until it returns a value other than undefined/false (the mailer works after commit, in the background). */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The decoded text of a received message: headers (RFC 2047 words decoded) and the quoted-printable or base64 body. */
export function decodedText(raw: string): string {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const words = headers.replace(/\?=\s+=\?/g, '?==?').replace(/=\?utf-8\?([BQ])\?([^?]*)\?=/gi, (_m, enc: string, text: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'),
  );
  const encoding = /content-transfer-encoding:\s*([\w-]+)/i.exec(headers)?.[1]?.toLowerCase();
  let text = body;
  if (encoding === 'base64') text = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    text = Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
  }
  return `${words}\n\n${text}`;
}
