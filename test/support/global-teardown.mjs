export default async function globalTeardown() {
  await globalThis.__HAVEN_TEST_TEARDOWN__?.();
}
