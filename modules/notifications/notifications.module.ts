import { Global, Module } from '@nestjs/common';
import { ConfigBundlesModule } from '../config/config.module.js';
import { InboxService } from './inbox.service.js';
import { MailerService } from './mailer.service.js';
import { NotificationsController } from './notifications.controller.js';
import { NotificationsRepository } from './notifications.repository.js';
import { NotificationsService } from './notifications.service.js';

/**
 * Global so that every module that reports changes (workflow, referrals, transfers) can enqueue. Also the in-app
 * list (`/notifications`) and the mailer that sends the e-mail outbox (docs/notifications.md).
 */
@Global()
@Module({
  imports: [ConfigBundlesModule],
  providers: [NotificationsService, NotificationsRepository, InboxService, MailerService],
  controllers: [NotificationsController],
  exports: [NotificationsService, NotificationsRepository],
})
export class NotificationsModule {}
