import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ConfigBundlesModule } from '../config/config.module.js';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { PrincipalLoader } from './principal.loader.js';
import { SessionService } from './session.service.js';
import { UserFactsCache } from './user-facts.cache.js';

@Global()
@Module({
  imports: [ConfigBundlesModule],
  providers: [SessionService, PrincipalLoader, UserFactsCache, AuthService, { provide: APP_GUARD, useClass: AuthGuard }],
  controllers: [AuthController],
  exports: [SessionService, PrincipalLoader],
})
export class AuthModule {}
