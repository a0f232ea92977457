import { Module } from '@nestjs/common';
import { ConfigBundlesModule } from '../config/config.module.js';
import { RecordsModule } from '../records/records.module.js';
import { ReferralsController } from './referrals.controller.js';
import { ReferralsService } from './referrals.service.js';
import { TransitionSupport } from './transition-support.js';
import { TransitionsRepository } from './transitions.repository.js';
import { TransfersController } from './transfers.controller.js';
import { TransfersService } from './transfers.service.js';

/**
 * Referrals, transfers and transfer requests (docs/referrals.md). Records come from RecordsModule (lock, events,
 * create), notifications and principals from their global modules.
 */
@Module({
  imports: [ConfigBundlesModule, RecordsModule],
  providers: [TransitionsRepository, TransitionSupport, ReferralsService, TransfersService],
  controllers: [ReferralsController, TransfersController],
})
export class ReferralsModule {}
