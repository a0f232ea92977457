import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HAVEN_RUNTIME, type HavenRuntime } from './common/runtime.js';
import { dataSourceOptions } from './database/data-source.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { ConfigBundlesModule } from './config/config.module.js';
import { ExportsModule } from './exports/exports.module.js';
import { HealthModule } from './health/health.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { PrintingModule } from './printing/printing.module.js';
import { RecordsModule } from './records/records.module.js';
import { ReportsModule } from './reports/reports.module.js';
import { ReferralsModule } from './referrals/referrals.module.js';
import { UsersModule } from './users/users.module.js';
import { WorkflowModule } from './workflow/workflow.module.js';

@Global()
@Module({})
class RuntimeModule {
  static forRoot(runtime: HavenRuntime): DynamicModule {
    return { module: RuntimeModule, providers: [{ provide: HAVEN_RUNTIME, useValue: runtime }], exports: [HAVEN_RUNTIME] };
  }
}

@Module({})
export class AppModule {
  static forRoot(runtime: HavenRuntime): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.forRoot(runtime),
        TypeOrmModule.forRoot({ ...dataSourceOptions(runtime.databaseUrl, runtime.env.dbPoolSize) }),
        AuditModule,
        NotificationsModule,
        HealthModule,
        ConfigBundlesModule,
        AuthModule,
        UsersModule,
        RecordsModule,
        ReferralsModule,
        PrintingModule,
        WorkflowModule,
        ExportsModule,
        ReportsModule,
      ],
    };
  }
}
