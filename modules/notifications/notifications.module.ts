import { Global, Module } from '@nestjs/common';
import { NotificationsService } from './notifications.service.js';

/** Global so that every module that reports changes (workflow, referrals, transfers) can enqueue. */
@Global()
@Module({ providers: [NotificationsService], exports: [NotificationsService] })
export class NotificationsModule {}
