import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../auth/decorators.js';
import { HAVEN_RUNTIME, type HavenRuntime } from '../common/runtime.js';
import { HAVEN_VERSION } from '../common/version.js';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly ds: DataSource,
    @Inject(HAVEN_RUNTIME) private readonly runtime: HavenRuntime,
  ) {}

  /** Liveness and database reachability. 200 when the database answers, 503 when it does not. */
  @Get()
  @ApiOkResponse({ description: '`{ status: "ok", database: { kind: "embedded" | "postgres" }, version }`' })
  async health(@Res({ passthrough: true }) res: Response) {
    let ok = true;
    try {
      await this.ds.query('SELECT 1');
    } catch {
      ok = false;
    }
    if (!ok) res.status(503);
    return { status: ok ? 'ok' : 'unavailable', database: { kind: this.runtime.databaseKind }, version: HAVEN_VERSION };
  }
}
