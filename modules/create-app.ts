import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express from 'express';
import { AppModule } from './app.module.js';
import { HavenExceptionFilter } from './common/error.filter.js';
import { HavenError } from './common/errors.js';
import { refuseNulInQuery, refuseUnstorableText, requestContext, requireJsonBodies } from './common/request-context.js';
import type { HavenRuntime } from './common/runtime.js';
import { havenValidationPipe } from './common/validation.js';
import { HAVEN_VERSION } from './common/version.js';

export const API_PREFIX = 'api/v1';
/** Largest location hierarchy CSV accepted by `POST /locations/import`. */
export const LOCATION_CSV_LIMIT = 20 * 1024 * 1024;

/** Builds and initialises the configured Nest application (not listening yet). Shared by `main.ts` and the e2e tests. */
export async function createApp(runtime: HavenRuntime): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(runtime), {
    bodyParser: false,
    logger: ['error', 'warn'],
    abortOnError: false,
  });
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('query parser', 'extended');
  app.use(requestContext);
  app.use(requireJsonBodies);
  app.use(refuseNulInQuery);
  app.use(express.json({ limit: runtime.env.bodyLimitBytes, type: ['application/json', 'application/*+json'], strict: true }));
  app.use(refuseUnstorableText);
  // The location hierarchy comes as CSV, and a country's hierarchy is far larger than a JSON body.
  app.use(`/${API_PREFIX}/locations/import`, express.text({ type: ['text/csv', 'text/plain', 'application/csv'], limit: LOCATION_CSV_LIMIT }));
  app.setGlobalPrefix(API_PREFIX);
  app.useGlobalFilters(new HavenExceptionFilter());
  app.useGlobalPipes(havenValidationPipe());

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Haven API')
      .setDescription(
        'Case management for GBV and child-protection services. All routes live under `/api/v1` and speak JSON. ' +
          'Errors: `{ "error": { "code", "message", "issues": [{ "code", "path", "message" }], "requestId" } }`; ' +
          'issue paths are JSON pointers from the body root. 404 covers both "missing" and "not yours to see". ' +
          'Text a database cannot store (NUL, unpaired UTF-16 surrogates) anywhere in a JSON body is a 400 `invalid_character` at its pointer.',
      )
      .setVersion(HAVEN_VERSION)
      .setLicense('AGPL-3.0', 'https://www.gnu.org/licenses/agpl-3.0.html')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json', useGlobalPrefix: false });
  try {
    await app.init();
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  // Nest answers unknown routes under the API prefix; everything else lands here, in the same error shape.
  app.use((req: express.Request, res: express.Response) => {
    const error = new HavenError('not_found', `No route ${req.method} ${req.path}.`);
    res.status(error.status).json({ error: { code: error.code, message: error.message, issues: [], requestId: (req as { id?: string }).id } });
  });
  return app;
}
