import pg from 'pg';
import { logger } from '../common/logger.js';

/** How soon a lost connection is retried, and a failed connect. */
const RETRY_AFTER_LOSS_MS = 1000;
const RETRY_AFTER_FAILURE_MS = 5000;

export interface NoticeListenerOptions {
  /** Database to listen on (its own connection, outside the pool: LISTEN holds a session). */
  readonly url: string;
  readonly channel: string;
  /** `application_name` of the connection, e.g. `haven-sessions`. */
  readonly name: string;
  /** What is listened for, in log lines ("session notices"). */
  readonly what: string;
  readonly onNotice: (payload: string) => void;
  /** Now listening (first time or after a loss): pick up whatever happened while nothing was heard. */
  readonly onUp?: () => void;
  /** The connection was lost: notices may be missed until `onUp`. */
  readonly onDown?: () => void;
}

/**
 * A PostgreSQL LISTEN connection that reconnects by itself. Caches evicted by NOTIFY (sessions, users' facts) bypass
 * themselves while `up` is false, so a missed notice can never keep stale access alive; wake-ups (configuration,
 * mailer) re-check after `onUp`.
 */
export class NoticeListener {
  private client?: pg.Client;
  private closed = false;
  private listening = false;

  constructor(private readonly options: NoticeListenerOptions) {}

  /** Whether notices are being received right now. */
  get up(): boolean {
    return this.listening;
  }

  /** Connects and listens; on failure, logs and retries in the background (never throws). */
  async start(): Promise<void> {
    if (this.closed) return;
    const { url, channel, name, what, onNotice } = this.options;
    const client = new pg.Client({ connectionString: url, application_name: name });
    client.on('notification', (msg) => onNotice(msg.payload ?? ''));
    client.on('error', (err) => {
      // pg may report one loss more than once: only the first, for the live connection, reconnects.
      if (this.closed || this.client !== client) return;
      logger.warn({ err: err.message }, `${what}: connection lost; reconnecting`);
      this.down();
      this.retry(RETRY_AFTER_LOSS_MS);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
      if (this.closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.options.onUp?.();
      this.listening = true;
    } catch (err) {
      this.down();
      logger.warn({ err: String(err) }, `${what}: could not listen; retrying`);
      await client.end().catch(() => undefined);
      this.retry(RETRY_AFTER_FAILURE_MS);
    }
  }

  async stop(): Promise<void> {
    this.closed = true;
    this.listening = false;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private down(): void {
    this.listening = false;
    this.client = undefined;
    this.options.onDown?.();
  }

  private retry(ms: number): void {
    if (!this.closed) setTimeout(() => void this.start(), ms).unref();
  }
}
