import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { HavenError } from '../common/errors.js';
import { logger } from '../common/logger.js';
import { HAVEN_RUNTIME, type HavenRuntime } from '../common/runtime.js';

/** Chromium flags: headless, no sandbox (the server's user has no namespaces), and nothing that talks to the network on its own. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The address the document is served at inside the browser; never resolved: the route below answers it from memory. */
const DOCUMENT_URL = 'https://print.invalid/document';
/** The same policy as the HTML answer: inline styles and data: images only, nothing loaded from anywhere. */
export const DOCUMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

export interface PdfRendererOptions {
  /** Documents rendered at the same time; further requests wait for a slot. */
  concurrency: number;
  /** Longest wait plus render time of one document. */
  timeoutMs: number;
}

const DEFAULTS: PdfRendererOptions = { concurrency: 2, timeoutMs: 30_000 };

/** The 406 of a server without Chromium: what is missing and how to get it. */
export function pdfNotAvailable(): HavenError {
  return new HavenError(
    'not_acceptable',
    "PDF is not available on this server: it needs Debian's chromium package (apt-get install chromium) or HAVEN_CHROMIUM_PATH naming a Chromium executable. " +
      'Ask for text/html and print the page to PDF from a browser.',
  );
}

/**
 * Turns printed HTML into an A4 PDF with the system Chromium (docs/decisions/0009-printing.md). One browser per app
 * instance, launched at the first PDF and closed at shutdown (Playwright gives it a fresh temporary profile folder
 * and deletes it on close); a new browser context and page per document, at most `concurrency` at a time, each
 * bounded by `timeoutMs`. The page runs no script and loads nothing: the document is answered from memory with a
 * content security policy that allows inline styles and data: images only, and every other request is aborted.
 */
@Injectable()
export class PdfRenderer implements OnApplicationShutdown {
  private readonly executablePath?: string;
  private readonly options: PdfRendererOptions;
  private browser?: Promise<Browser>;
  private active = 0;
  private readonly queue: Array<() => void> = [];
  private closing = false;

  constructor(@Inject(HAVEN_RUNTIME) runtime: HavenRuntime) {
    this.executablePath = runtime.env.chromiumPath;
    this.options = DEFAULTS;
  }

  /** Whether this server can answer PDF at all. */
  get available(): boolean {
    return this.executablePath !== undefined;
  }

  /** A4 PDF of one complete HTML document (its own print CSS decides margins and direction). */
  async render(html: string): Promise<Buffer> {
    if (this.executablePath === undefined) throw pdfNotAvailable();
    const deadline = Date.now() + this.options.timeoutMs;
    await this.acquire(deadline);
    try {
      return await this.renderNow(html, deadline);
    } finally {
      this.release();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    for (const wake of this.queue.splice(0)) wake();
    const browser = await this.browser?.catch(() => undefined);
    this.browser = undefined;
    await browser?.close().catch(() => undefined);
  }

  private busy(): HavenError {
    return new HavenError('service_unavailable', 'The PDF could not be produced in time; try again, or ask for text/html and print the page from a browser.');
  }

  private acquire(deadline: number): Promise<void> {
    if (this.closing) return Promise.reject(new HavenError('service_unavailable', 'The server is shutting down.'));
    if (this.active < this.options.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer);
        if (this.closing) return reject(new HavenError('service_unavailable', 'The server is shutting down.'));
        this.active++;
        resolve();
      };
      const timer = setTimeout(() => {
        const at = this.queue.indexOf(wake);
        if (at >= 0) this.queue.splice(at, 1);
        reject(this.busy());
      }, Math.max(0, deadline - Date.now()));
      this.queue.push(wake);
    });
  }

  private release(): void {
    this.active--;
    this.queue.shift()?.();
  }

  /** The instance's browser, launched on first use; a browser that died is replaced at the next request. */
  private launch(): Promise<Browser> {
    // A request that got its slot before shutdown must not start a browser that nothing would close.
    if (this.closing) return Promise.reject(new HavenError('service_unavailable', 'The server is shutting down.'));
    if (this.browser === undefined) {
      const launching = chromium.launch({
        executablePath: this.executablePath,
        headless: true,
        timeout: this.options.timeoutMs,
        args: [...CHROMIUM_ARGS],
        // The app owns shutdown (onApplicationShutdown); Playwright must not install its own signal handlers.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
      this.browser = launching;
      launching.then(
        (browser) =>
          browser.on('disconnected', () => {
            if (this.browser === launching) this.browser = undefined;
          }),
        (err: unknown) => {
          if (this.browser === launching) this.browser = undefined;
          logger.error({ err: String(err), executablePath: this.executablePath }, 'Chromium did not start; PDF printouts fail until it does');
        },
      );
    }
    return this.browser;
  }

  private async renderNow(html: string, deadline: number): Promise<Buffer> {
    let context: BrowserContext | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let timedOut = false;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(this.busy());
        void context?.close().catch(() => undefined);
      }, Math.max(0, deadline - Date.now()));
    });
    const work = async (): Promise<Buffer> => {
      let browser: Browser;
      try {
        browser = await this.launch();
      } catch (err) {
        if (err instanceof HavenError) throw err;
        throw new HavenError('service_unavailable', 'The PDF renderer (Chromium) could not start on this server; ask for text/html and print the page from a browser.');
      }
      const ctx = await browser.newContext({ javaScriptEnabled: false, serviceWorkers: 'block', acceptDownloads: false });
      context = ctx;
      try {
        if (timedOut) throw this.busy();
        await ctx.route('**/*', (route) => {
          const request = route.request();
          if (request.url() === DOCUMENT_URL && request.isNavigationRequest() && request.frame().parentFrame() === null) {
            return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', headers: { 'Content-Security-Policy': DOCUMENT_CSP }, body: html });
          }
          // A navigation away from the document (a template's `<meta http-equiv="refresh">`, a form) answered with
          // 204 keeps the page where it is; aborting it would replace the page with an error page that cannot print.
          if (request.isNavigationRequest() && request.frame().parentFrame() === null) return route.fulfill({ status: 204, body: '' });
          return route.abort('blockedbyclient');
        });
        const page = await ctx.newPage();
        await page.goto(DOCUMENT_URL, { waitUntil: 'load', timeout: Math.max(1, deadline - Date.now()) });
        return await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true, outline: true, tagged: true });
      } finally {
        await ctx.close().catch(() => undefined);
      }
    };
    const running = work();
    // When the deadline wins the race, the render's own failure (its context closed under it) is expected.
    running.catch(() => undefined);
    try {
      return await Promise.race([running, expired]);
    } catch (err) {
      if (err instanceof HavenError) throw err;
      if (timedOut || this.closing) throw this.busy();
      logger.error({ err: String(err) }, 'PDF rendering failed');
      throw new HavenError('service_unavailable', 'The PDF could not be produced; try again, or ask for text/html and print the page from a browser.');
    } finally {
      clearTimeout(timer);
    }
  }
}
