/** Mail settings from the environment and the retry schedule (no database). */
import { describe, expect, it } from '@jest/globals';
import { EnvError, loadEnv } from '../settings/env.js';
import { backoffMs } from './mailer.service.js';

describe('mail settings', () => {
  it('has e-mail off by default', () => {
    const env = loadEnv({});
    expect(env).toMatchObject({ smtpFrom: 'Haven <haven@localhost>', mailPollMs: 10_000, mailRetryBaseMs: 60_000, mailMaxAttempts: 8 });
    expect(env.smtpUrl).toBeUndefined();
    expect(env.publicUrl).toBeUndefined();
  });

  it('takes smtp:// and smtps:// URLs and a public URL without its trailing slash', () => {
    expect(loadEnv({ SMTP_URL: 'smtps://u:p@mail.example.org:465' }).smtpUrl).toBe('smtps://u:p@mail.example.org:465');
    expect(loadEnv({ HAVEN_PUBLIC_URL: 'https://haven.example.org/' }).publicUrl).toBe('https://haven.example.org');
  });

  it.each([
    ['SMTP_URL', 'mail.example.org'],
    ['SMTP_URL', 'http://mail.example.org'],
    ['HAVEN_PUBLIC_URL', 'haven.example.org'],
    ['HAVEN_MAIL_MAX_ATTEMPTS', '0'],
    ['HAVEN_MAIL_POLL_MS', 'soon'],
  ])('refuses %s=%s naming the variable', (name, value) => {
    expect(() => loadEnv({ [name]: value })).toThrow(EnvError);
    expect(() => loadEnv({ [name]: value })).toThrow(new RegExp(`^${name}:`));
  });

  it('doubles the retry delay per attempt up to six hours', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffMs(attempt, 60_000))).toEqual([60_000, 120_000, 240_000, 480_000]);
    expect(backoffMs(30, 60_000)).toBe(6 * 60 * 60 * 1000);
  });
});
